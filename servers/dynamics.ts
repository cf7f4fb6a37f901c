/**
 * Which dynamics a session runs: the environment's true physics, or a learned simulator supplied by a provider. make
 * only talks to this module, so learned models plug in by adding a provider, not by touching the op handlers.
 */
import type { Static } from '@sinclair/typebox';
import type { DynamicsSchema } from '../protocol/ts/messages.js';
import type { Dynamics, EnvDefinition } from '../src/core/definition.js';
import { TwinGymError } from '../src/core/errors.js';

/** What make's `dynamics` field holds. */
export type DynamicsRequest = Static<typeof DynamicsSchema>;

/** A learned-model request: a model id and optionally the agent whose personalised simulator to use. */
export interface ModelRequest {
  model: string;
  agent?: number;
}

/** A source of learned dynamics (a model registry, later). */
export interface DynamicsProvider {
  /** Model ids this provider can serve for an environment, for EnvSpec.dynamics. */
  modelsFor(envId: string): string[];
  /**
   * Builds the dynamics for a session of `definition`, or returns undefined when the model id is not this provider's.
   * A provider that knows the model but cannot serve it for this env or agent throws unknown_dynamics itself.
   */
  create(request: ModelRequest, definition: EnvDefinition): Dynamics | undefined;
}

/** Resolves make's dynamics field over an ordered list of providers. */
export class DynamicsResolver {
  constructor(private readonly providers: readonly DynamicsProvider[] = []) {}

  /** The dynamics names an environment can be made with: "true" first, then every provider's models. */
  namesFor(envId: string): string[] {
    return ['true', ...this.providers.flatMap((p) => p.modelsFor(envId))];
  }

  /** A fresh dynamics object for one session; the caller disposes it if the session cannot be built. */
  resolve(request: DynamicsRequest | undefined, definition: EnvDefinition): Dynamics {
    if (request === undefined || request === 'true') return definition.trueDynamics();
    for (const p of this.providers) {
      const d = p.create(request, definition);
      if (d) return d;
    }
    const known = this.namesFor(definition.id);
    throw new TwinGymError(
      'unknown_dynamics',
      `no dynamics "${request.model}" for ${definition.id}; available: ${known.map((k) => JSON.stringify(k)).join(', ')}`,
      { model: request.model, env_id: definition.id, known },
    );
  }
}
