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
  /**
   * Step every distinct (state, action) pair once while sequences share action prefixes (default true). It applies
   * only where it cannot change a result: a row-deterministic dynamics (see Dynamics.rowDeterministic), one shared
   * start and context, and an action space of integers. False forces one dynamics row per sequence (for comparisons).
   */
  sharePrefixes?: boolean;
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
  private readonly prefixes = new PrefixClasses();
  private uniq = { cur: new Float64Array(0), next: new Float64Array(0), actions: new Float64Array(0), ctx: new Float64Array(0) };
  /** Distinct rows the dynamics stepped in the last run (members x sum over steps): the work sharing left to do. */
  lastSteppedRows = 0;

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
    // Planners pass a fresh generator per decision: refill the row table in place rather than reallocating it.
    if (this.rngs.length !== R) this.rngs = new Array<Rng>(R).fill(rng);
    else if (this.rngs[0] !== rng) this.rngs.fill(rng);
    const rngs = this.rngs;

    const sharedStart = spec.start.length === S;
    const sharedCtx = spec.contexts.length === C;
    if (sharedStart) tile(cur, spec.start, R);
    else for (let m = 0; m < members; m++) cur.set(spec.start.subarray(0, B * S), m * B * S);
    if (sharedCtx) tile(ctx, spec.contexts, R);
    else for (let m = 0; m < members; m++) ctx.set(spec.contexts.subarray(0, B * C), m * B * C);
    done.fill(0);
    def.observe(cur, R, obs);
    const actions = spec.actions;
    let anyDone = false;
    // Prefix sharing (see RolloutSpec.sharePrefixes): rows of one class have had the same start, context and actions so
    // far, hence the same state; each step the dynamics sees one row per (class, action) pair and the result is copied
    // to every row of the class. It stops once classes are nearly as many as sequences.
    const codes = spec.sharePrefixes === false || !spec.dynamics.rowDeterministic || !sharedStart || !sharedCtx ? 0 : actionCodes(def);
    let sharing = codes > 0 && B > 1;
    if (sharing) this.prefixes.begin(B);
    this.lastSteppedRows = 0;
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
      const classes = sharing ? this.prefixes.advance(stepActions, A, def.actionSpace.low, def.actionSpace.high, codes) : B;
      if (sharing && classes <= SHARE_LIMIT * B) {
        this.stepShared(spec, members, classes, useMembers, cur, stepActions, next, rngs);
        this.lastSteppedRows += members * classes;
      } else {
        sharing = false;
        const batch = { n: R, states: cur, actions: stepActions, contexts: ctx, next, rngs };
        if (useMembers) spec.dynamics.stepMembers!(batch);
        else spec.dynamics.step(batch);
        this.lastSteppedRows += R;
      }
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

  /**
   * One step of `classes` distinct rows per member: row c of each member is the class's representative's state with
   * the class's action; the results are copied to every sequence row of the class.
   */
  private stepShared(spec: RolloutSpec, members: number, classes: number, useMembers: boolean, cur: Float64Array, stepActions: Float64Array, next: Float64Array, rngs: Rng[]): void {
    const def = spec.definition;
    const B = spec.batch;
    const S = def.stateSize;
    const A = def.actionSpace.size;
    const C = def.context.size;
    const n = members * classes;
    const u = this.uniq;
    u.cur = grow(u.cur, n * S, (k) => new Float64Array(k));
    u.next = grow(u.next, n * S, (k) => new Float64Array(k));
    u.actions = grow(u.actions, n * A, (k) => new Float64Array(k));
    u.ctx = grow(u.ctx, n * C, (k) => new Float64Array(k));
    const states = u.cur.subarray(0, n * S);
    const nextU = u.next.subarray(0, n * S);
    const acts = u.actions.subarray(0, n * A);
    const ctx = u.ctx.subarray(0, n * C);
    const { rep, classOf } = this.prefixes;
    for (let m = 0; m < members; m++) {
      for (let c = 0; c < classes; c++) {
        // The representative's state before this step: every row of its parent class holds the same one.
        const from = (m * B + rep[c]) * S;
        const to = (m * classes + c) * S;
        for (let k = 0; k < S; k++) states[to + k] = cur[from + k];
        for (let k = 0; k < A; k++) acts[(m * classes + c) * A + k] = stepActions[rep[c] * A + k];
      }
    }
    tile(ctx, spec.contexts, n);
    const batch = { n, states, actions: acts, contexts: ctx, next: nextU, rngs };
    if (useMembers) spec.dynamics.stepMembers!(batch);
    else spec.dynamics.step(batch);
    for (let m = 0; m < members; m++) {
      for (let b = 0; b < B; b++) {
        const from = (m * classes + classOf[b]) * S;
        const to = (m * B + b) * S;
        for (let k = 0; k < S; k++) next[to + k] = nextU[from + k];
      }
    }
  }
}

/** Fills `out` with `rows` copies of `row`, doubling the filled part each copy (log2(rows) copies, not rows). */
function tile(out: Float64Array, row: Float64Array, rows: number): void {
  const w = row.length;
  const total = rows * w;
  if (total === 0) return;
  out.set(row, 0);
  for (let filled = w; filled < total; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, total - filled));
}

/** Above this share of distinct rows, sharing's copies cost more than the rows it saves. */
const SHARE_LIMIT = 0.95;
/** Largest (class, action) lookup table prefix sharing builds. */
const MAX_TABLE = 1 << 22;

/**
 * The number of distinct actions of an integer action space (their mixed-radix codes are 0..codes-1), or 0 when the
 * space is not integral or too large to index (then prefixes are not shared).
 */
function actionCodes(def: EnvDefinition): number {
  const space = def.actionSpace;
  if (!space.integral) return 0;
  let codes = 1;
  for (let k = 0; k < space.size; k++) {
    const width = space.high[k] - space.low[k] + 1;
    if (!Number.isFinite(width) || width < 1) return 0;
    codes *= width;
    if (codes > 1 << 16) return 0;
  }
  return codes;
}

/**
 * Equivalence classes of sequences by action prefix: after each step, sequences that took the same action from the
 * same class share a class. `rep[c]` is a sequence of class c (its first), `classOf[b]` the class of sequence b.
 */
class PrefixClasses {
  classOf = new Int32Array(0);
  rep = new Int32Array(0);
  private count = 1;
  private batch = 0;
  private table = new Int32Array(0);

  /** Every sequence starts in one class (the shared start). */
  begin(batch: number): void {
    if (this.classOf.length < batch) {
      this.classOf = new Int32Array(batch);
      this.rep = new Int32Array(batch);
    }
    this.classOf.fill(0, 0, batch);
    this.count = 1;
    this.batch = batch;
  }

  /** Splits the classes by this step's actions (rows 0..batch-1 of `actions`); returns the new number of classes. */
  advance(actions: Float64Array, A: number, low: Float64Array, high: Float64Array, codes: number): number {
    const size = this.count * codes;
    // A table that large would cost more than sharing saves: report every sequence distinct, which ends sharing.
    if (size > MAX_TABLE) return this.batch;
    if (this.table.length < size) this.table = new Int32Array(size);
    const table = this.table;
    table.fill(-1, 0, size);
    const { classOf, rep } = this;
    let count = 0;
    for (let b = 0; b < this.batch; b++) {
      // The action's mixed-radix code, 0..codes-1.
      let code = 0;
      let radix = 1;
      for (let k = 0; k < A; k++) {
        code += (actions[b * A + k] - low[k]) * radix;
        radix *= high[k] - low[k] + 1;
      }
      const key = classOf[b] * codes + code;
      let c = table[key];
      if (c < 0) {
        c = count++;
        table[key] = c;
        rep[c] = b;
      }
      classOf[b] = c;
    }
    this.count = count;
    return count;
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
