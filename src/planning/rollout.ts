/**
 * Batched imagined rollouts on any dynamics (issue 7): B action sequences of horizon H from given start states, one
 * batched dynamics call per imagined step (on the true classic envs the vectorised transition, on physics envs the pool
 * of worlds on every core, on a learned ensemble one network call over all members). Rewards and terminations come
 * from the environment definition, as in sessions, so imagined and real returns mean the same thing.
 *
 * Done-masking (REFERENCE.md 4, "a step's cost is counted until the rollout is done"): the step that terminates a
 * sequence counts; after it the sequence is absorbed, its state frozen, its reward 0 and its terminated flag stays 1.
 * Rollouts know nothing of time limits: the horizon is the caller's choice.
 */
import type { Dynamics, EnvDefinition } from '../core/definition.js';
import { TwinGymError, check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { ensembleSize } from './ensemble.js';

/** What to roll out. Arrays are read, never kept. */
export interface RolloutSpec {
  definition: EnvDefinition;
  dynamics: Dynamics;
  /** Number of action sequences B. */
  batch: number;
  /** Steps per sequence H. */
  horizon: number;
  /** Start states in the definition's state layout: stateSize numbers shared by every sequence, or batch rows. */
  start: Float64Array;
  /** batch x horizon x action size: sequence b's action at step t starts at (b*horizon + t) * actionSize. */
  actions: Float64Array;
  /** One context row shared by every sequence, or batch rows. */
  contexts: Float64Array;
  /**
   * Every ensemble member rolls out its own trajectory from the same start (results gain a leading member axis). A
   * dynamics that is not an ensemble is its own only member. Default false: the dynamics' own step, which for an
   * ensemble is the member mean.
   */
  perMember?: boolean;
  /**
   * Generator handed to stochastic dynamics (every row shares it, in row order, so results are deterministic for a
   * given generator state). Default: a generator seeded with 0. The true dynamics never draw from it.
   */
  rng?: Rng;
  /** Return the states (definition layout) as well as the observations. Default false. */
  keepStates?: boolean;
  /** Return the observations. Default true; planners that only need returns turn it off. */
  keepObservations?: boolean;
  /** Skip the shape and bounds checks: for planners whose own samples are valid by construction. */
  trusted?: boolean;
}

/** What a rollout returns; the leading member axis has length 1 unless perMember was asked of an ensemble. */
export interface RolloutResult {
  members: number;
  batch: number;
  horizon: number;
  /** members x batch x horizon x obs size: the observation after each step (null when not kept). */
  observations: Float64Array | null;
  /** members x batch x horizon x stateSize (null unless keepStates). */
  states: Float64Array | null;
  /** members x batch x horizon, 0 after the step that terminated the sequence. */
  rewards: Float64Array;
  /** members x batch x horizon: 1 from the terminating step on. */
  terminated: Uint8Array;
}

/**
 * Receives each imagined step of every row: rows are member-major (row r is sequence r % batch of member
 * floor(r / batch)). The arrays are the engine's buffers, valid only during the call.
 */
export type StepSink = (t: number, nextObs: Float64Array, nextStates: Float64Array, rewards: Float64Array, terminated: Uint8Array) => void;

function grow<T extends Float64Array | Uint8Array>(buf: T, size: number, make: (n: number) => T): T {
  return buf.length >= size ? buf : make(size);
}

/**
 * The rollout loop with buffers kept between calls, so a planner making thousands of decisions allocates once. Not
 * re-entrant: one engine per planner (or per caller).
 */
export class RolloutEngine {
  private cur = new Float64Array(0);
  private next = new Float64Array(0);
  private obs = new Float64Array(0);
  private nextObs = new Float64Array(0);
  private stepActions = new Float64Array(0);
  private ctx = new Float64Array(0);
  private term = new Uint8Array(0);
  private done = new Uint8Array(0);
  private rew = new Float64Array(0);
  private rngs: Rng[] = [];

  /** Rows a spec steps: batch, times the members when each member rolls out its own trajectory. */
  static rowsOf(spec: Pick<RolloutSpec, 'dynamics' | 'batch' | 'perMember'>): { members: number; rows: number } {
    const members = spec.perMember ? ensembleSize(spec.dynamics) : 1;
    return { members, rows: members * spec.batch };
  }

  /** Runs a rollout, reporting every step to `sink`. Validates the spec unless it is trusted. */
  run(spec: RolloutSpec, sink: StepSink): void {
    if (!spec.trusted) validateRollout(spec);
    const def = spec.definition;
    const B = spec.batch;
    const H = spec.horizon;
    const S = def.stateSize;
    const O = def.observationSpace.size;
    const A = def.actionSpace.size;
    const C = def.context.size;
    const { members, rows: R } = RolloutEngine.rowsOf(spec);
    const useMembers = spec.perMember === true && members > 1;
    this.cur = grow(this.cur, R * S, (n) => new Float64Array(n));
    this.next = grow(this.next, R * S, (n) => new Float64Array(n));
    this.obs = grow(this.obs, R * O, (n) => new Float64Array(n));
    this.nextObs = grow(this.nextObs, R * O, (n) => new Float64Array(n));
    this.stepActions = grow(this.stepActions, R * A, (n) => new Float64Array(n));
    this.ctx = grow(this.ctx, R * C, (n) => new Float64Array(n));
    this.term = grow(this.term, R, (n) => new Uint8Array(n));
    this.done = grow(this.done, R, (n) => new Uint8Array(n));
    this.rew = grow(this.rew, R, (n) => new Float64Array(n));
    // Exact-length views: definitions and dynamics may read .length.
    let cur = this.cur.subarray(0, R * S);
    let next = this.next.subarray(0, R * S);
    let obs = this.obs.subarray(0, R * O);
    let nextObs = this.nextObs.subarray(0, R * O);
    const stepActions = this.stepActions.subarray(0, R * A);
    const ctx = this.ctx.subarray(0, R * C);
    const term = this.term.subarray(0, R);
    const done = this.done.subarray(0, R);
    const rew = this.rew.subarray(0, R);
    const rng = spec.rng ?? Rng.fromSeed(0);
    if (this.rngs.length !== R || this.rngs[0] !== rng) this.rngs = new Array<Rng>(R).fill(rng);
    const rngs = this.rngs;

    const sharedStart = spec.start.length === S;
    const sharedCtx = spec.contexts.length === C;
    for (let r = 0; r < R; r++) {
      const b = r % B;
      cur.set(sharedStart ? spec.start : spec.start.subarray(b * S, (b + 1) * S), r * S);
      ctx.set(sharedCtx ? spec.contexts : spec.contexts.subarray(b * C, (b + 1) * C), r * C);
    }
    done.fill(0);
    def.observe(cur, R, obs);
    const actions = spec.actions;
    let anyDone = false;
    for (let t = 0; t < H; t++) {
      // Every member takes the same actions: gather the batch's once, then copy the block per member.
      if (A === 1) {
        for (let b = 0; b < B; b++) stepActions[b] = actions[b * H + t];
      } else {
        for (let b = 0; b < B; b++) {
          const from = (b * H + t) * A;
          for (let k = 0; k < A; k++) stepActions[b * A + k] = actions[from + k];
        }
      }
      for (let m = 1; m < members; m++) stepActions.copyWithin(m * B * A, 0, B * A);
      const batch = { n: R, states: cur, actions: stepActions, contexts: ctx, next, rngs };
      if (useMembers) spec.dynamics.stepMembers!(batch);
      else spec.dynamics.step(batch);
      if (anyDone) {
        for (let r = 0; r < R; r++) {
          if (done[r]) for (let k = 0; k < S; k++) next[r * S + k] = cur[r * S + k];
        }
      }
      def.observe(next, R, nextObs);
      def.terminated(nextObs, ctx, R, term);
      def.reward(obs, stepActions, nextObs, term, R, rew);
      for (let r = 0; r < R; r++) {
        if (done[r]) {
          rew[r] = 0;
          term[r] = 1;
        } else if (term[r]) {
          done[r] = 1;
          anyDone = true;
        }
      }
      sink(t, nextObs, next, rew, term);
      const s = cur;
      cur = next;
      next = s;
      const o = obs;
      obs = nextObs;
      nextObs = o;
    }
  }
}

/**
 * Checks a rollout spec and throws a TwinGymError naming the first problem: sizes of the batch, horizon, start states,
 * actions and contexts, actions inside the action space, and per-member rollouts only on ensembles.
 */
export function validateRollout(spec: RolloutSpec): void {
  const def = spec.definition;
  const { batch: B, horizon: H } = spec;
  const S = def.stateSize;
  const A = def.actionSpace.size;
  const C = def.context.size;
  check(Number.isInteger(B) && B >= 1, 'invalid_argument', `a rollout needs at least one action sequence, got batch ${B}`, { path: 'actions' });
  check(Number.isInteger(H) && H >= 1, 'invalid_argument', `a rollout needs a horizon of at least one step, got ${H}`, { path: 'actions' });
  check(spec.start.length === S || spec.start.length === B * S, 'bad_shape', `start states need ${S} numbers (shared) or ${B} x ${S}, got ${spec.start.length}`, { path: 'start', expected: [B, S] });
  check(spec.contexts.length === C || spec.contexts.length === B * C, 'bad_shape', `contexts need ${C} numbers (shared) or ${B} x ${C}, got ${spec.contexts.length}`, { path: 'contexts', expected: [B, C] });
  check(spec.actions.length === B * H * A, 'bad_shape', `actions need ${B} x ${H} x ${A} numbers, got ${spec.actions.length}`, { path: 'actions', expected: [B, H, ...def.actionSpace.shape] });
  const space = def.actionSpace;
  for (let k = 0; k < B * H; k++) {
    const bad = space.firstViolation(spec.actions, k * A);
    if (bad >= 0) {
      const b = Math.floor(k / H);
      const t = k % H;
      const v = spec.actions[k * A + bad];
      throw new TwinGymError(
        'out_of_bounds',
        `action ${v} of sequence ${b}, step ${t} (element ${bad}) is outside the action space: ${space.integral ? 'an integer in' : 'a value in'} [${space.low[bad]}, ${space.high[bad]}]`,
        { path: 'actions', sequence: b, step: t, index: bad, value: v, low: space.low[bad], high: space.high[bad] },
      );
    }
  }
}

/**
 * Evaluates B action sequences of horizon H and returns observations, rewards and terminations (and states when
 * asked), per ensemble member when spec.perMember is set. Throws TwinGymError for a malformed spec.
 */
export function rollout(spec: RolloutSpec, engine: RolloutEngine = new RolloutEngine()): RolloutResult {
  const def = spec.definition;
  const B = spec.batch;
  const H = spec.horizon;
  if (!spec.trusted) validateRollout(spec);
  const { members, rows: R } = RolloutEngine.rowsOf(spec);
  const O = def.observationSpace.size;
  const S = def.stateSize;
  const keepObs = spec.keepObservations ?? true;
  const keepStates = spec.keepStates ?? false;
  const observations = keepObs ? new Float64Array(R * H * O) : null;
  const states = keepStates ? new Float64Array(R * H * S) : null;
  const rewards = new Float64Array(R * H);
  const terminated = new Uint8Array(R * H);
  engine.run({ ...spec, trusted: true }, (t, nextObs, nextStates, rew, term) => {
    for (let r = 0; r < R; r++) {
      const at = r * H + t;
      rewards[at] = rew[r];
      terminated[at] = term[r];
      if (observations) for (let k = 0; k < O; k++) observations[at * O + k] = nextObs[r * O + k];
      if (states) for (let k = 0; k < S; k++) states[at * S + k] = nextStates[r * S + k];
    }
  });
  return { members, batch: B, horizon: H, observations, states, rewards, terminated };
}
