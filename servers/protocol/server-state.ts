/** The server-wide state op handlers read: limits, dynamics resolution, the env spec list, the step counter. */
import { listEnvEntries, resolveEnvOptions } from '../../envs/registry.js';
import { envSpecOf } from '../../src/core/definition.js';
import type { EnvSpec } from '../../protocol/ts/spaces.js';
import { DynamicsResolver } from '../dynamics.js';
import type { ServerOptions } from '../options.js';
import type { ServerState } from './op-context.js';

/** Name and version hello reports. */
export const SERVER_NAME = 'twingym/0.1.0';

/** Builds the state of one server. Env specs are computed on first use, with each env's default options. */
export function createServerState(options: ServerOptions, countSteps: (envs: number) => void): ServerState {
  const dynamics = new DynamicsResolver(options.dynamicsProviders ?? []);
  let specs: EnvSpec[] | null = null;
  return {
    limits: options.limits,
    dynamics,
    serverName: SERVER_NAME,
    envSpecs() {
      specs ??= listEnvEntries().map((entry) => envSpecOf(entry, entry.build(resolveEnvOptions(entry, {})), dynamics.namesFor(entry.id)));
      return specs;
    },
    countSteps,
  };
}
