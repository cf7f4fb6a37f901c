/**
 * plan: an MPC decision computed on the server from an env's current state, one message per decision (issue 7).
 *
 * Each env of a session keeps its planner between requests (its generator and its warm start), held beside the session
 * in a WeakMap so it disappears with it. The warm start is used only when exactly one step of that env has been taken
 * since the previous decision (its episode_step grew by one), since "the previous plan shifted by one step" means
 * nothing otherwise. A changed planner kind or settings, or a seed, starts a fresh planner.
 *
 * Runs synchronously on the event loop: PerSim's settings on a classic env take milliseconds to tens of milliseconds,
 * and max_rollout_steps bounds the rest (a plan of about a second is acceptable for now; see SPEC.md, plan).
 */
import type { PlanSettings, PlannerKind } from '../../../protocol/ts/messages.js';
import { encodeTensor } from '../../../protocol/ts/tensor.js';
import type { EnvDefinition } from '../../../src/core/definition.js';
import { TwinGymError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import type { EnvSession } from '../../../src/core/session.js';
import { Cem, CEM_DEFAULTS, type CemSettings } from '../../../src/planning/cem.js';
import type { Planner } from '../../../src/planning/planner.js';
import { RandomShooting, RANDOM_SHOOTING_DEFAULTS, type RandomShootingSettings } from '../../../src/planning/random-shooting.js';
import type { OpHandler } from '../op-context.js';
import { checkWork, contextRow, envIndex } from './rollout-input.js';

/** A planner kept for one env of one session. */
interface Kept {
  planner: Planner;
  /** Planner kind and settings, to tell whether a request may continue with this planner. */
  key: string;
  /** The env's episode_step when the planner last decided. */
  step: number;
}

const kept = new WeakMap<EnvSession, Map<number, Kept>>();

const CEM_ONLY = ['iterations', 'elites', 'smoothing', 'init_std', 'max_redraws'] as const;
const RS_ONLY = ['per_member'] as const;

/** Kind and settings in a canonical form: the same settings sent with keys in another order continue the planner. */
function settingsKey(kind: PlannerKind, s: PlanSettings): string {
  const entries = Object.entries(s).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  const bonus = (v: unknown) => {
    const b = v as NonNullable<PlanSettings['position_bonus']>;
    return [b.weight, b.index ?? 0, b.mode ?? 'peak'];
  };
  return JSON.stringify([kind, entries.map(([k, v]) => [k, k === 'position_bonus' ? bonus(v) : v])]);
}

/** The default planner of an action space: random shooting for integer actions, CEM for real ones. */
export function defaultPlannerKind(def: EnvDefinition): PlannerKind {
  return def.actionSpace.integral ? 'random_shooting' : 'cem';
}

/** Builds a planner from wire settings; settings of the other planner are refused, not ignored. */
export function plannerFromWire(kind: PlannerKind, s: PlanSettings, target: { definition: EnvDefinition; dynamics: EnvSession['dynamics'] }, seed: number): Planner {
  const other = kind === 'cem' ? RS_ONLY : CEM_ONLY;
  for (const name of other) {
    if (s[name] !== undefined) {
      throw new TwinGymError('invalid_argument', `settings.${name} applies to the ${kind === 'cem' ? 'random_shooting' : 'cem'} planner, not ${kind}`, { path: `settings.${name}` });
    }
  }
  const bonus = s.position_bonus ? { weight: s.position_bonus.weight, index: s.position_bonus.index ?? 0, mode: s.position_bonus.mode ?? 'peak' } : null;
  if (kind === 'random_shooting') {
    const rs: Partial<RandomShootingSettings> = { positionBonus: bonus };
    if (s.candidates !== undefined) rs.candidates = s.candidates;
    if (s.horizon !== undefined) rs.horizon = s.horizon;
    if (s.per_member !== undefined) rs.perMember = s.per_member;
    if (s.warm_start !== undefined) rs.warmStart = s.warm_start;
    return new RandomShooting(target, rs, seed);
  }
  const cem: Partial<CemSettings> = { positionBonus: bonus };
  if (s.candidates !== undefined) cem.candidates = s.candidates;
  if (s.horizon !== undefined) cem.horizon = s.horizon;
  if (s.iterations !== undefined) cem.iterations = s.iterations;
  if (s.elites !== undefined) cem.elites = s.elites;
  if (s.smoothing !== undefined) cem.smoothing = s.smoothing;
  if (s.init_std !== undefined) [cem.initStdLow, cem.initStdHigh] = s.init_std;
  if (s.max_redraws !== undefined) cem.maxRedraws = s.max_redraws;
  if (s.warm_start !== undefined) cem.warmStart = s.warm_start;
  return new Cem(target, cem, seed);
}

/** Plans one decision for an env of the session. */
export const plan: OpHandler<'plan'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  const def = session.definition;
  const env = envIndex(session, req.env);
  const kind = req.planner ?? defaultPlannerKind(def);
  const settings = req.settings ?? {};
  const key = settingsKey(kind, settings);
  const envs = kept.get(session);
  const previous = envs?.get(env);
  const seeded = req.seed !== undefined && req.seed !== null;
  const reuse = previous !== undefined && previous.key === key && !seeded;
  const planner = reuse
    ? previous.planner
    : plannerFromWire(kind, settings, { definition: def, dynamics: session.dynamics }, seeded ? req.seed! : Rng.entropySeed());
  const candidates = settings.candidates ?? (kind === 'cem' ? CEM_DEFAULTS.candidates : RANDOM_SHOOTING_DEFAULTS.candidates);
  const perCandidate = planner.transitionsPerDecision() / candidates;
  checkWork(`plan (${kind}) of ${candidates} candidates x ${perCandidate} transitions each`, candidates, perCandidate, ctx.server.limits.maxRolloutSteps,
    (fit) => `set settings.candidates to at most ${fit} (or shorten settings.horizon)`);
  const state = session.currentStates().slice(env * def.stateSize, (env + 1) * def.stateSize);
  const contexts = contextRow(session, env, undefined);
  const step = session.episodeSteps()[env];
  const follows = reuse && step === previous.step + 1;
  const d = planner.plan(state, contexts, follows);

  // Committed only after a successful decision: a refused request leaves the kept planner as it was.
  const map = envs ?? new Map<number, Kept>();
  map.set(env, { planner, key, step });
  if (!envs) kept.set(session, map);
  const actionSpace = def.actionSpace;
  return {
    action: encodeTensor(actionSpace.dtype, [...actionSpace.shape], d.action),
    predicted_return: d.predictedReturn,
    score: d.score,
    sequence: encodeTensor(actionSpace.dtype, [d.sequence.length / actionSpace.size, ...actionSpace.shape], d.sequence),
    planner: kind,
    warm_started: d.warmStarted,
    transitions: d.transitions,
  };
};
