/**
 * Which dynamics a session runs: the environment's true physics, or a learned simulator. make only talks to this
 * module, so learned models plug in by adding a provider, not by touching the op handlers.
 *
 * Two kinds of providers are consulted, in order:
 *  - ModelProvider (src/models/provider.ts): model registries (PerSim, MOCODA). Asynchronous, they list their models
 *    with metadata and load them on demand. Their sessions are "learned sessions": the context is what the model
 *    learned, so it cannot be changed (see learned.ts).
 *  - DynamicsProvider: a synchronous, in-process source of dynamics (test doubles, embedders). Its sessions behave
 *    like the real environment's in every respect but the transition.
 * Model lists are cached so that list_envs can name the served models without touching the disk on every call; the
 * cache is refreshed by list_models and when older than a few seconds.
 */
import type { ContextMap } from '../protocol/ts/spaces.js';
import type { DynamicsInput, TrajectoryInput } from '../protocol/ts/messages.js';
import { TensorFormatError, decodeTensor, isWireTensorLike } from '../protocol/ts/tensor.js';
import type { Dynamics, EnvDefinition } from '../src/core/definition.js';
import { TwinGymError } from '../src/core/errors.js';
import { readBatch, tensorError } from '../src/core/batch-input.js';
import type { FlatSpace } from '../src/core/spaces.js';
import type { ModelDynamicsRequest, ModelInfo, ModelProvider, PersonalizationTrajectory } from '../src/models/provider.js';

/** What make's `dynamics` field holds. */
export type DynamicsRequest = DynamicsInput;

/** A learned-model request as a DynamicsProvider sees it: a model id and optionally a trained agent. */
export interface ModelRequest {
  model: string;
  agent?: number;
}

/** A synchronous, in-process source of dynamics (test doubles, embedding applications). */
export interface DynamicsProvider {
  /** Model ids this provider can serve for an environment, for EnvSpec.dynamics. */
  modelsFor(envId: string): string[];
  /**
   * Builds the dynamics for a session of `definition`, or returns undefined when the model id is not this provider's.
   * A provider that knows the model but cannot serve it for this env or agent throws unknown_dynamics itself.
   */
  create(request: ModelRequest, definition: EnvDefinition): Dynamics | undefined;
}

/** What a learned session is: the model it runs and how, reported in make's metadata.dynamics. */
export interface LearnedInfo {
  kind: string;
  model: string;
  agent?: number;
  personalized?: true;
  members: number;
  mode: 'mean' | 'sample';
}

/** A resolved dynamics field. */
export interface ResolvedDynamics {
  dynamics: Dynamics;
  /** Contexts the session starts with (a trained agent's true context); null keeps the request's or the defaults. */
  contexts: ContextMap | null;
  /** Set for sessions of a ModelProvider's model. */
  learned: LearnedInfo | null;
}

/** Default lifetime of the cached model lists. */
export const MODEL_LIST_TTL_MS = 5000;

/** Largest personalisation trajectory accepted in make (fitting runs on the request path). */
export const MAX_TRAJECTORY_ROWS = 100_000;

/** Resolves make's dynamics field over the providers. */
export class DynamicsResolver {
  private cache: ModelInfo[] = [];
  private cachedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<ModelInfo[]> | null = null;
  private listVersion = 0;

  /**
   * @param legacy synchronous providers, consulted after the model providers
   * @param models model registries
   * @param onListError where a provider whose listing fails is reported (its models are then left out)
   */
  constructor(
    private readonly legacy: readonly DynamicsProvider[] = [],
    readonly models: readonly ModelProvider[] = [],
    private readonly ttlMs = MODEL_LIST_TTL_MS,
    private readonly onListError: (provider: string, err: unknown) => void = () => undefined,
  ) {}

  /** Changes whenever a refresh changed the set of served models (env specs are rebuilt then). */
  get version(): number {
    return this.listVersion;
  }

  /** The dynamics names an environment can be made with: "true" first, then every provider's models (cached). */
  namesFor(envId: string): string[] {
    return ['true', ...this.cache.filter((m) => m.env_id === envId).map((m) => m.id), ...this.legacy.flatMap((p) => p.modelsFor(envId))];
  }

  /** Re-reads every model provider's list (concurrent callers share one read). */
  refresh(): Promise<ModelInfo[]> {
    this.refreshing ??= (async () => {
      try {
        const lists = await Promise.all(this.models.map((p) => p.list().catch((e: unknown) => {
          this.onListError(p.name, e);
          return [] as ModelInfo[];
        })));
        const seen = new Set<string>();
        // The first provider claiming an id serves it (create asks them in the same order), so list it once.
        const all = lists.flat().filter((m) => (seen.has(m.id) ? false : (seen.add(m.id), true)));
        if (JSON.stringify(all.map((m) => [m.id, m.env_id, m.created])) !== JSON.stringify(this.cache.map((m) => [m.id, m.env_id, m.created]))) this.listVersion++;
        this.cache = all;
        this.cachedAt = Date.now();
        return all;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Refreshes the lists when they are older than the TTL; undefined (no promise) when they are fresh. */
  refreshIfStale(): Promise<ModelInfo[]> | undefined {
    if (this.models.length === 0 || Date.now() - this.cachedAt < this.ttlMs) return undefined;
    return this.refresh();
  }

  /** Every served model (optionally of one env), freshly listed. */
  async listModels(envId?: string): Promise<ModelInfo[]> {
    const all = await this.refresh();
    return envId === undefined ? all : all.filter((m) => m.env_id === envId);
  }

  /** One model's description, or unknown_dynamics listing the served ids. */
  async describe(id: string): Promise<ModelInfo> {
    const all = await this.refresh();
    const m = all.find((x) => x.id === id);
    if (!m) {
      throw new TwinGymError('unknown_dynamics', `no model "${id}"; served models: ${all.map((x) => x.id).join(', ') || 'none'} (list_models)`, { model: id, known: all.map((x) => x.id) });
    }
    return m;
  }

  /**
   * A fresh dynamics object for one session; the caller disposes it if the session cannot be built. Synchronous for
   * "true" and the in-process providers, a Promise for model providers (which may load a model from disk).
   */
  resolve(request: DynamicsRequest | undefined, definition: EnvDefinition): ResolvedDynamics | Promise<ResolvedDynamics> {
    if (request === undefined || request === 'true') return { dynamics: definition.trueDynamics(), contexts: null, learned: null };
    if (this.models.length === 0) return this.resolveLegacy(request, definition);
    return this.resolveModel(request, definition);
  }

  private resolveLegacy(request: Exclude<DynamicsRequest, 'true'>, definition: EnvDefinition): ResolvedDynamics {
    if (request.trajectory === undefined && request.mode === undefined) {
      for (const p of this.legacy) {
        const d = p.create({ model: request.model, agent: request.agent }, definition);
        if (d) return { dynamics: d, contexts: null, learned: null };
      }
    }
    return this.unknown(request.model, definition);
  }

  private async resolveModel(request: Exclude<DynamicsRequest, 'true'>, definition: EnvDefinition): Promise<ResolvedDynamics> {
    const wanted: ModelDynamicsRequest = { model: request.model };
    if (request.agent !== undefined) wanted.agent = request.agent;
    if (request.trajectory !== undefined) wanted.trajectory = readTrajectory(request.trajectory, definition);
    if (request.mode !== undefined) wanted.mode = request.mode;
    for (const p of this.models) {
      const made = await p.create(wanted, definition);
      if (!made) continue;
      let info: ModelInfo | undefined = this.cache.find((m) => m.id === request.model);
      if (!info) info = (await this.refresh()).find((m) => m.id === request.model);
      const members = info?.members ?? made.dynamics.members ?? 1;
      const learned: LearnedInfo = { kind: info?.kind ?? made.dynamics.kind, model: request.model, members, mode: request.mode ?? 'mean' };
      if (wanted.trajectory) learned.personalized = true;
      else if (wanted.agent !== undefined) learned.agent = wanted.agent;
      return { dynamics: made.dynamics, contexts: made.contexts, learned };
    }
    return this.resolveLegacy(request, definition);
  }

  private unknown(model: string, definition: EnvDefinition): never {
    const known = this.namesFor(definition.id);
    throw new TwinGymError(
      'unknown_dynamics',
      `no dynamics "${model}" for ${definition.id}; available: ${known.map((k) => JSON.stringify(k)).join(', ')} (list_models lists every served model)`,
      { model, env_id: definition.id, known },
    );
  }
}

/** Shape of a tensor or nested array input, or null when it is neither. */
function shapeOf(input: unknown, path: string): number[] | null {
  if (isWireTensorLike(input)) {
    try {
      return decodeTensor(input).shape;
    } catch (e) {
      if (e instanceof TensorFormatError) throw tensorError(e, path);
      throw e;
    }
  }
  const shape: number[] = [];
  let x: unknown = input;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape.length > 0 ? shape : null;
}

/** n rows of a space's values; [n] is accepted for a space of one element. */
function readRows(space: FlatSpace, input: unknown, path: string, n: number | null): { n: number; values: Float64Array } {
  const shape = shapeOf(input, path);
  const one = space.shape.length === 0 || (space.shape.length === 1 && space.shape[0] === 1);
  const expected = (rows: number | string) => [rows, ...space.shape];
  if (shape === null || shape.length === 0) {
    throw new TwinGymError('bad_shape', `${path} must hold one row per transition: shape [${expected('n').join(', ')}]`, { path, expected: expected('n') });
  }
  const rows = shape[0];
  const rowShape = shape.slice(1);
  const fits = rowShape.length === space.shape.length && rowShape.every((d, i) => d === space.shape[i]);
  if (!fits && !(one && rowShape.length === 0)) {
    throw new TwinGymError('bad_shape', `${path} has shape [${shape.join(', ')}]; expected [${expected(rows).join(', ')}]`, { path, got: shape, expected: expected(rows) });
  }
  if (n !== null && rows !== n) {
    throw new TwinGymError('bad_shape', `${path} has ${rows} rows; observations have ${n}: every transition needs an observation, an action and a next observation`, { path, got: shape, expected: expected(n) });
  }
  if (rows < 1 || rows > MAX_TRAJECTORY_ROWS) {
    throw new TwinGymError('bad_shape', `a personalisation trajectory needs 1 to ${MAX_TRAJECTORY_ROWS} transitions, got ${rows}`, { path, got: shape });
  }
  // readBatch checks the dtype; the shape (already checked) is given to it in its vector form.
  const values = readBatch(space, fits ? input : reshapeRows(input, rows), rows, true, path);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new TwinGymError('invalid_argument', `${path} holds a non-finite number at element ${i}`, { path, index: i });
  }
  return { n: rows, values };
}

/** [n] values of a one-element space as [n, 1], the layout readBatch expects. */
function reshapeRows(input: unknown, rows: number): unknown {
  if (isWireTensorLike(input)) return { ...input, shape: [rows, 1] };
  return (input as unknown[]).map((x) => [x]);
}

/** Decodes make's dynamics.trajectory against the environment's spaces (shapes, dtypes, finite numbers). */
export function readTrajectory(t: TrajectoryInput, def: EnvDefinition): PersonalizationTrajectory {
  const obs = readRows(def.observationSpace, t.observations, 'dynamics.trajectory.observations', null);
  const actions = readRows(def.actionSpace, t.actions, 'dynamics.trajectory.actions', obs.n);
  const next = readRows(def.observationSpace, t.next_observations, 'dynamics.trajectory.next_observations', obs.n);
  return { n: obs.n, observations: obs.values, actions: actions.values, nextObservations: next.values };
}
