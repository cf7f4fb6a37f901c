/** The server-wide state op handlers read: limits, dynamics resolution, jobs, the env spec list, the step counter. */
import { listEnvEntries, resolveEnvOptions } from '../../envs/registry.js';
import { envSpecOf } from '../../src/core/definition.js';
import type { EnvSpec } from '../../protocol/ts/spaces.js';
import type { DynamicsResolver } from '../dynamics.js';
import type { JobManager } from '../jobs/manager.js';
import type { ServerOptions } from '../options.js';
import type { ServerState } from './op-context.js';

/** Name and version hello reports. */
export const SERVER_NAME = 'twingym/0.1.0';

/**
 * Builds the state of one server. Env specs are computed on first use, with each env's default options; their
 * `dynamics` lists are rebuilt whenever the resolver's model list changed.
 */
export function createServerState(options: ServerOptions, dynamics: DynamicsResolver, jobs: JobManager, countSteps: (envs: number) => void): ServerState {
  let base: EnvSpec[] | null = null;
  let specs: EnvSpec[] | null = null;
  let version = -1;
  return {
    limits: options.limits,
    dynamics,
    jobs,
    serverName: SERVER_NAME,
    envSpecs() {
      base ??= listEnvEntries().map((entry) => envSpecOf(entry, entry.build(resolveEnvOptions(entry, {}))));
      if (specs === null || version !== dynamics.version) {
        version = dynamics.version;
        specs = base.map((s) => ({ ...s, dynamics: dynamics.namesFor(s.id) }));
      }
      return specs;
    },
    countSteps,
  };
}
