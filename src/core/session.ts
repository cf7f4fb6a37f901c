/**
 * A session: a definition + a dynamics + seeding + step counters + autoreset, as a Gymnasium Env (one instance,
 * `vectorized: false`) or VectorEnv. Every public method either succeeds or throws before changing anything, so a
 * refused request leaves the session exactly as it was.
 */
import type { ContextMap } from '../../protocol/ts/spaces.js';
import type { AutoresetMode } from '../../protocol/ts/messages.js';
import type { Drawing, Dynamics, EnvDefinition } from './definition.js';
import { TwinGymError, check } from './errors.js';
import { Rng } from './rng.js';

export type { AutoresetMode };

/** How to build a session. */
export interface SessionConfig {
  definition: EnvDefinition;
  /** Number of env instances (default 1). */
  numEnvs?: number;
  /** Vector semantics (batched tensors, autoreset); default numEnvs > 1. */
  vectorized?: boolean;
  /** Default: the definition's true dynamics. */
  dynamics?: Dynamics;
  /** One context for every env or one per env; missing parameters take their defaults. */
  contexts?: ContextMap | readonly ContextMap[];
  /** Seed used by the first reset when that reset gives none (then entropy). */
  seed?: number | null;
  maxEpisodeSteps?: number;
  /** Vector sessions only; default next_step (Gymnasium's default). */
  autoreset?: AutoresetMode;
}

/** reset's arguments (Gymnasium's seed and options). */
export interface ResetArgs {
  /** int: env i gets seed + i; array: one per env; null/undefined: keep the generators. */
  seed?: number | readonly number[] | null;
  contexts?: ContextMap | readonly ContextMap[];
  /** Vector sessions: only envs whose entry is true reset. */
  resetMask?: ArrayLike<boolean | number>;
  /** Observations to start from instead of sampling: numEnvs x obs size, or one obs for every env. */
  state?: Float64Array;
}

/** What reset returns. Arrays are fresh and belong to the caller. */
export interface ResetResult {
  /** numEnvs x obs size, float64 (the wire casts to the space dtype). */
  obs: Float64Array;
  episodeStep: Int32Array;
}

/** What step returns. Arrays are fresh and belong to the caller. */
export interface StepResult {
  obs: Float64Array;
  reward: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  episodeStep: Int32Array;
  /** same_step autoreset: the last observation of envs that ended this step (rows valid where finalMask is 1). */
  finalObs?: Float64Array;
  finalMask?: Uint8Array;
}

/** Gymnasium-style environment session over a batch of instances. */
export class EnvSession {
  readonly definition: EnvDefinition;
  readonly dynamics: Dynamics;
  readonly numEnvs: number;
  readonly vectorized: boolean;
  readonly autoreset: AutoresetMode;
  readonly maxEpisodeSteps: number;
  readonly obsSize: number;
  readonly actionSize: number;

  private states: Float64Array;
  private next: Float64Array;
  private obs: Float64Array;
  private contexts: Float64Array;
  private rngs: Rng[];
  private readonly steps: Int32Array;
  /** next_step mode: the env ended last step and resets on this one. */
  private readonly pendingReset: Uint8Array;
  /** single and disabled mode: the env ended and refuses to step until reset. */
  private readonly needsReset: Uint8Array;
  private hasReset = false;
  private readonly initialSeed: number | null;
  private closed = false;

  constructor(config: SessionConfig) {
    const def = config.definition;
    this.definition = def;
    this.numEnvs = config.numEnvs ?? 1;
    check(Number.isInteger(this.numEnvs) && this.numEnvs >= 1, 'invalid_argument', 'num_envs must be an integer >= 1', { path: 'num_envs' });
    this.vectorized = config.vectorized ?? this.numEnvs > 1;
    check(this.vectorized || this.numEnvs === 1, 'invalid_argument', 'a non-vectorized session has exactly one env; set vectorized: true or num_envs: 1', { path: 'vectorized' });
    check(
      this.vectorized || config.autoreset === undefined || config.autoreset === 'disabled',
      'invalid_argument',
      'autoreset applies to vector sessions only; a single env always needs an explicit reset after its episode ends',
      { path: 'autoreset' },
    );
    this.autoreset = this.vectorized ? (config.autoreset ?? 'next_step') : 'disabled';
    this.maxEpisodeSteps = config.maxEpisodeSteps ?? def.maxEpisodeSteps;
    check(Number.isInteger(this.maxEpisodeSteps) && this.maxEpisodeSteps >= 1, 'invalid_argument', 'max_episode_steps must be an integer >= 1', { path: 'max_episode_steps' });
    this.obsSize = def.observationSpace.size;
    this.actionSize = def.actionSpace.size;
    const n = this.numEnvs;
    this.contexts = new Float64Array(n * def.context.size);
    for (let i = 0; i < n; i++) this.contexts.set(def.context.defaults, i * def.context.size);
    if (config.contexts !== undefined) this.contexts = this.withContexts(config.contexts, null);
    this.states = new Float64Array(n * def.stateSize);
    this.next = new Float64Array(n * def.stateSize);
    this.obs = new Float64Array(n * this.obsSize);
    this.steps = new Int32Array(n);
    this.pendingReset = new Uint8Array(n);
    this.needsReset = new Uint8Array(n);
    this.initialSeed = config.seed ?? null;
    check(this.initialSeed === null || (Number.isSafeInteger(this.initialSeed) && this.initialSeed >= 0), 'invalid_argument', 'seed must be an integer in [0, 2^53)', { path: 'seed' });
    this.rngs = [];
    this.dynamics = config.dynamics ?? def.trueDynamics();
  }

  /** True once the first reset has happened. */
  get started(): boolean {
    return this.hasReset;
  }

  /** Steps taken in each env's current episode. */
  episodeSteps(): Int32Array {
    return this.steps.slice();
  }

  /** The current observations (numEnvs x obs size). Requires a reset. */
  currentObs(): Float64Array {
    this.requireStarted();
    return this.obs.slice();
  }

  /** The current states in the definition's layout (numEnvs x stateSize). Requires a reset. */
  currentStates(): Float64Array {
    this.requireStarted();
    return this.states.slice();
  }

  /** Gymnasium's reset for the whole batch or the envs in resetMask. */
  reset(args: ResetArgs = {}): ResetResult {
    this.requireOpen();
    const n = this.numEnvs;
    const def = this.definition;
    const mask = this.resolveMask(args.resetMask);
    if (!this.hasReset) {
      check(mask.every((m) => m === 1), 'invalid_argument', 'the first reset must reset every env; leave reset_mask out', { path: 'options.reset_mask' });
    }
    const seeds = this.resolveSeeds(args.seed);
    const contexts = args.contexts !== undefined ? this.withContexts(args.contexts, mask) : this.contexts;
    let given: Float64Array | null = null;
    if (args.state !== undefined) given = this.resolveInitialState(args.state);

    // Everything is validated: from here on nothing throws for bad input.
    const rngs = this.rngs.slice();
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      if (seeds) rngs[i] = Rng.fromSeed(seeds[i]);
      else if (!rngs[i]) rngs[i] = Rng.fromSeed(this.initialSeed !== null ? this.initialSeed + i : Rng.entropySeed());
    }
    const states = this.states.slice();
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      if (given) states.set(given.subarray(i * def.stateSize, (i + 1) * def.stateSize), i * def.stateSize);
      else def.initial(rngs[i], contexts, i * def.context.size, states, i * def.stateSize);
    }
    const obs = new Float64Array(n * this.obsSize);
    def.observe(states, n, obs);
    this.rngs = rngs;
    this.contexts = contexts;
    this.states = states;
    this.obs = obs;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      this.steps[i] = 0;
      this.pendingReset[i] = 0;
      this.needsReset[i] = 0;
    }
    this.hasReset = true;
    return { obs: obs.slice(), episodeStep: this.steps.slice() };
  }

  /**
   * One step of every env. `actions` holds numEnvs x action size numbers (discrete actions as integers); bounds are
   * checked for every env whose action is used.
   */
  step(actions: Float64Array): StepResult {
    this.requireStarted();
    const n = this.numEnvs;
    const def = this.definition;
    const A = this.actionSize;
    const O = this.obsSize;
    check(actions.length === n * A, 'bad_shape', `actions need ${n * A} numbers (${n} envs x ${A}), got ${actions.length}`, { expected: this.vectorized ? [n, ...def.actionSpace.shape] : [...def.actionSpace.shape] });
    for (let i = 0; i < n; i++) {
      if (this.needsReset[i]) {
        throw new TwinGymError(
          'needs_reset',
          this.vectorized
            ? `env ${i} has ended and autoreset is disabled; call reset with reset_mask selecting the ended envs`
            : 'the episode has ended; call reset before stepping again',
          { envs: Array.from(this.needsReset.keys()).filter((k) => this.needsReset[k]) },
        );
      }
    }
    for (let i = 0; i < n; i++) {
      if (this.pendingReset[i]) continue; // its action is ignored (Gymnasium next_step)
      const bad = def.actionSpace.firstViolation(actions, i * A);
      if (bad >= 0) {
        const space = def.actionSpace;
        throw new TwinGymError(
          'out_of_bounds',
          `action ${actions[i * A + bad]} (env ${i}, element ${bad}) is outside the action space: ${space.integral ? 'an integer in' : 'a value in'} [${space.low[bad]}, ${space.high[bad]}]`,
          { env: i, index: bad, value: actions[i * A + bad], low: space.low[bad], high: space.high[bad] },
        );
      }
    }

    // Envs resetting this step ignore their action, which was not checked: hand the dynamics a valid one instead, so a
    // NaN or out-of-range value never reaches a dynamics that keeps state (a physics world, a model's buffers).
    let used = actions;
    if (this.pendingReset.some((p) => p === 1)) {
      used = actions.slice();
      const filler = this.ignoredAction();
      for (let i = 0; i < n; i++) if (this.pendingReset[i]) used.set(filler, i * A);
    }
    const next = this.next;
    this.dynamics.step({ n, states: this.states, actions: used, contexts: this.contexts, next, rngs: this.rngs });
    const nextObs = new Float64Array(n * O);
    def.observe(next, n, nextObs);
    const terminated = new Uint8Array(n);
    def.terminated(nextObs, this.contexts, n, terminated);
    const reward = new Float64Array(n);
    def.reward(this.obs, used, nextObs, terminated, n, reward);
    const truncated = new Uint8Array(n);
    const result: StepResult = { obs: nextObs, reward, terminated, truncated, episodeStep: this.steps };

    // Commit: the new states become current, then ended envs are handled per autoreset mode.
    this.next = this.states;
    this.states = next;
    for (let i = 0; i < n; i++) {
      if (this.pendingReset[i]) {
        this.resetOne(i, nextObs);
        reward[i] = 0;
        terminated[i] = 0;
        this.pendingReset[i] = 0;
        continue;
      }
      this.steps[i] += 1;
      truncated[i] = this.steps[i] >= this.maxEpisodeSteps ? 1 : 0;
    }
    if (this.autoreset === 'same_step') {
      const finalObs = new Float64Array(n * O);
      const finalMask = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (!(terminated[i] || truncated[i])) continue;
        finalMask[i] = 1;
        finalObs.set(nextObs.subarray(i * O, (i + 1) * O), i * O);
        this.resetOne(i, nextObs);
      }
      result.finalObs = finalObs;
      result.finalMask = finalMask;
    } else {
      const flags = this.autoreset === 'next_step' ? this.pendingReset : this.needsReset;
      for (let i = 0; i < n; i++) if (terminated[i] || truncated[i]) flags[i] = 1;
    }
    this.obs = nextObs.slice();
    result.episodeStep = this.steps.slice();
    return result;
  }

  /** Contexts in use, read back from the dynamics when it can report them. */
  getContexts(): ContextMap[] {
    this.requireOpen();
    const C = this.definition.context.size;
    let values = this.contexts;
    if (this.dynamics.readContexts) {
      values = new Float64Array(this.numEnvs * C);
      this.dynamics.readContexts(this.contexts, this.numEnvs, values);
    }
    return Array.from({ length: this.numEnvs }, (_, i) => this.definition.context.toMap(values, i * C));
  }

  /**
   * Changes contexts from the next step on. `indices` selects envs (default all); with a list of maps there is one map
   * per selected env. Returns the contexts read back.
   */
  setContexts(contexts: ContextMap | readonly ContextMap[], indices?: readonly number[]): ContextMap[] {
    this.requireOpen();
    let mask: Uint8Array | null = null;
    if (indices !== undefined) {
      mask = new Uint8Array(this.numEnvs);
      for (const i of indices) {
        check(Number.isInteger(i) && i >= 0 && i < this.numEnvs, 'invalid_argument', `index ${i} is not an env of this session (0..${this.numEnvs - 1})`, { path: 'indices' });
        mask[i] = 1;
      }
    }
    if (Array.isArray(contexts) && indices !== undefined) {
      check(contexts.length === indices.length, 'bad_shape', `${contexts.length} context maps for ${indices.length} indices; give one map per index`, { expected: [indices.length] });
      const full: ContextMap[] = Array.from({ length: this.numEnvs }, () => ({}));
      indices.forEach((k, j) => { full[k] = contexts[j]; });
      this.contexts = this.withContexts(full, mask);
    } else {
      this.contexts = this.withContexts(contexts, mask);
    }
    return this.getContexts();
  }

  /** A drawing of env `index`. */
  render(index = 0): Drawing {
    this.requireStarted();
    check(Number.isInteger(index) && index >= 0 && index < this.numEnvs, 'invalid_argument', `index ${index} is not an env of this session (0..${this.numEnvs - 1})`, { path: 'index' });
    return this.definition.render(this.states, this.contexts, index);
  }

  /** Frees the dynamics. Idempotent; returns false when already closed. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.dynamics.dispose?.();
    return true;
  }

  /** True after close. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The raw mutable parts, for snapshot.ts only. */
  internals(): SessionInternals {
    return {
      states: this.states, contexts: this.contexts, obs: this.obs, steps: this.steps, pendingReset: this.pendingReset,
      needsReset: this.needsReset, hasReset: this.hasReset, rngs: this.rngs,
    };
  }

  /** Replaces the mutable parts wholesale (snapshot restore); the caller has validated sizes. */
  restoreInternals(s: Omit<SessionInternals, 'obs' | 'rngs'> & { rngs: Rng[] | null }): Float64Array {
    this.requireOpen();
    this.states = s.states.slice();
    this.contexts = s.contexts.slice();
    this.steps.set(s.steps);
    this.pendingReset.set(s.pendingReset);
    this.needsReset.set(s.needsReset);
    this.hasReset = s.hasReset;
    if (s.rngs) this.rngs = s.rngs;
    else if (this.rngs.length === 0) this.rngs = Array.from({ length: this.numEnvs }, () => Rng.fromSeed(Rng.entropySeed()));
    this.obs = new Float64Array(this.numEnvs * this.obsSize);
    if (this.hasReset) this.definition.observe(this.states, this.numEnvs, this.obs);
    return this.obs.slice();
  }

  /** A valid action (each element at its lower bound, or the nearest finite value) for envs whose action is ignored. */
  private ignoredAction(): Float64Array {
    const { low, high } = this.definition.actionSpace;
    return Float64Array.from(low, (lo, k) => (Number.isFinite(lo) ? lo : Number.isFinite(high[k]) ? Math.min(0, high[k]) : 0));
  }

  private resetOne(i: number, obsOut: Float64Array): void {
    const def = this.definition;
    const S = def.stateSize;
    def.initial(this.rngs[i], this.contexts, i * def.context.size, this.states, i * S);
    const o = new Float64Array(this.obsSize);
    def.observe(this.states.subarray(i * S, (i + 1) * S), 1, o);
    obsOut.set(o, i * this.obsSize);
    this.steps[i] = 0;
  }

  private requireOpen(): void {
    check(!this.closed, 'unknown_session', 'this session is closed; make a new one');
  }

  private requireStarted(): void {
    this.requireOpen();
    check(this.hasReset, 'not_reset', 'call reset before stepping (or rendering) a new session');
  }

  private resolveMask(mask: ArrayLike<boolean | number> | undefined): Uint8Array {
    const n = this.numEnvs;
    if (mask === undefined) return new Uint8Array(n).fill(1);
    check(this.vectorized, 'invalid_argument', 'reset_mask applies to vector sessions only', { path: 'options.reset_mask' });
    check(mask.length === n, 'bad_shape', `reset_mask has ${mask.length} entries; the session has ${n} envs`, { expected: [n], path: 'options.reset_mask' });
    const out = Uint8Array.from(Array.from(mask, (m) => (m ? 1 : 0)));
    check(out.some((m) => m === 1), 'invalid_argument', 'reset_mask selects no env', { path: 'options.reset_mask' });
    return out;
  }

  private resolveSeeds(seed: ResetArgs['seed']): number[] | null {
    if (seed === undefined || seed === null) return null;
    const n = this.numEnvs;
    const valid = (s: number) => Number.isSafeInteger(s) && s >= 0;
    if (typeof seed === 'number') {
      check(valid(seed) && valid(seed + n - 1), 'invalid_argument', 'seed must be an integer in [0, 2^53 - num_envs)', { path: 'seed' });
      return Array.from({ length: n }, (_, i) => seed + i);
    }
    check(this.vectorized || seed.length === 1, 'invalid_argument', 'a single env takes one integer seed', { path: 'seed' });
    check(seed.length === n, 'bad_shape', `${seed.length} seeds for ${n} envs; give one per env or a single integer`, { expected: [n], path: 'seed' });
    check(seed.every(valid), 'invalid_argument', 'seeds must be integers in [0, 2^53)', { path: 'seed' });
    return [...seed];
  }

  /** A copy of the context rows with `contexts` applied to the envs in mask (all when mask is null). */
  private withContexts(contexts: ContextMap | readonly ContextMap[], mask: Uint8Array | null): Float64Array {
    const n = this.numEnvs;
    const space = this.definition.context;
    const out = this.contexts.slice();
    if (Array.isArray(contexts)) {
      check(contexts.length === n, 'bad_shape', `${contexts.length} context maps for ${n} envs; give one map for all or one per env`, { expected: [n], path: 'contexts' });
    }
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) continue;
      const map = Array.isArray(contexts) ? (contexts as readonly ContextMap[])[i] : (contexts as ContextMap);
      try {
        space.apply(map, out, i * space.size);
      } catch (e) {
        if (e instanceof TwinGymError && Array.isArray(contexts)) e.details.env = i;
        throw e;
      }
    }
    return out;
  }

  private resolveInitialState(state: Float64Array): Float64Array {
    const def = this.definition;
    const n = this.numEnvs;
    const O = this.obsSize;
    check(def.stateFromObservation !== undefined, 'unsupported', `${def.id} cannot start from a given state: its observation does not determine its state`);
    check(state.length === n * O || state.length === O, 'bad_shape', `options.state needs ${n} x ${O} numbers (or ${O} for every env), got ${state.length}`, { expected: [n, O], path: 'options.state' });
    const full = new Float64Array(n * O);
    for (let i = 0; i < n; i++) full.set(state.length === O ? state : state.subarray(i * O, (i + 1) * O), i * O);
    for (let i = 0; i < n; i++) {
      const bad = def.observationSpace.firstViolation(full, i * O);
      if (bad >= 0) {
        throw new TwinGymError('out_of_bounds', `options.state of env ${i}, element ${bad} = ${full[i * O + bad]} is outside the observation space [${def.observationSpace.low[bad]}, ${def.observationSpace.high[bad]}]`, { env: i, index: bad });
      }
    }
    const states = new Float64Array(n * def.stateSize);
    def.stateFromObservation!(full, n, states);
    return states;
  }
}

/** The mutable state of a session, as snapshots see it. */
export interface SessionInternals {
  states: Float64Array;
  contexts: Float64Array;
  obs: Float64Array;
  steps: Int32Array;
  pendingReset: Uint8Array;
  needsReset: Uint8Array;
  hasReset: boolean;
  rngs: Rng[];
}
