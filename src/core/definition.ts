/**
 * The environment definition: pure, batched parts around a swappable transition (DESIGN.md). Batches are row-major
 * typed arrays: instance i's state is states[i*stateSize .. (i+1)*stateSize). Functions never keep references to the
 * arrays they are given, so sessions, planners and learned models can all call them on their own buffers.
 */
import type { CausalSpec, EnvOption, EnvSpec } from '../../protocol/ts/spaces.js';
import type { ContextSpace } from './context.js';
import type { Rng } from './rng.js';
import type { FlatSpace } from './spaces.js';

/** One batched transition request: read states/actions/contexts, write next states. */
export interface TransitionBatch {
  /** Number of instances. */
  n: number;
  /** n x stateSize current states. */
  states: Float64Array;
  /** n x action size; discrete actions as their integer values. */
  actions: Float64Array;
  /** n x context size. */
  contexts: Float64Array;
  /** n x stateSize, written by the dynamics. Never aliases `states`. */
  next: Float64Array;
  /** Per-instance generators for stochastic dynamics (learned models); the true classic dynamics ignore them. */
  rngs: readonly Rng[];
}

/**
 * Anything that implements the transition over a definition's state layout: the true physics, a PerSim ensemble for an
 * agent, a MOCODA model. A dynamics object may hold resources (physics worlds, network weights) and is made per session.
 */
export interface Dynamics {
  /** "true" for the real environment, otherwise the model kind. */
  readonly kind: string;
  /** Metadata reported by make (model id, agent, ...). */
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Computes batch.next from batch.states, batch.actions and batch.contexts. */
  step(batch: TransitionBatch): void;
  /**
   * Optional read-back of the contexts the dynamics actually use (e.g. masses read from physics bodies), written as
   * rows of out. When absent, the session's stored contexts are the applied ones.
   */
  readContexts?(contexts: Float64Array, n: number, out: Float64Array): void;
  /** Frees resources; called once when the session closes. */
  dispose?(): void;
  /**
   * Ensemble dynamics only (PerSim, MOCODA): the number of independently trained members. Absent or 1 means the
   * dynamics is not an ensemble. An ensemble's `step` MUST be the mean of its members' predictions for the same input:
   * that is what sessions serve and what CEM propagates (REFERENCE.md 4, "all members are fed the ensemble-mean
   * state"). `stepMembers` is then required as well.
   */
  readonly members?: number;
  /**
   * Ensemble dynamics only: every member steps its own rows, in one call, so a learned model can run one batched
   * network call over members instead of M separate ones. `batch.n` is members x k and the rows are member-major: rows
   * [m*k, (m+1)*k) are member m's, stepped by member m alone, and its predictions go to the same rows of `batch.next`.
   * Every member receives its own states (random shooting lets each member roll out its own trajectory, REFERENCE.md
   * 4), while actions and contexts are given per row like any batch. Callers guarantee n % members === 0. A model
   * without a cheaper way to average can build its `step` from this one with meanStepFromMembers
   * (src/planning/ensemble.ts); tests/planning/point-mass.ts has a two-member example.
   */
  stepMembers?(batch: TransitionBatch): void;
  /**
   * True when a row's next state is a fixed function of that row's state, action and context (and, in stepMembers, its
   * member) alone: no generator draws, no state kept between calls, no dependence on the other rows. Rollouts then
   * step each distinct (state, action) pair once, so sequences that share an action prefix from a shared start share
   * those steps' work (src/planning/rollout.ts). Leave it unset when unsure: the result is the same, only slower.
   */
  readonly rowDeterministic?: boolean;
}

/** A drawing of one instance, for humans and dashboards. */
export interface Drawing {
  mode: 'svg';
  data: string;
}

/** An environment definition: spaces, context, pure batched functions and the true dynamics. */
export interface EnvDefinition {
  /** Stable, versioned id, e.g. "CartPole-v0". */
  readonly id: string;
  readonly description: string;
  readonly observationSpace: FlatSpace;
  readonly actionSpace: FlatSpace;
  readonly context: ContextSpace;
  /** Floats per instance in the state layout (equals the observation size when observe is the identity). */
  readonly stateSize: number;
  readonly maxEpisodeSteps: number;
  readonly rewardRange: readonly [number, number];
  /** The options this definition was built with (e.g. {task: "diagonal"}). */
  readonly options: Readonly<Record<string, string | number | boolean>>;
  /** Local causal structure, where the environment exposes one (MOCODA). */
  readonly causal?: CausalStructure;

  /** Samples one initial state for a context row into out[offset ..]. */
  initial(rng: Rng, context: Float64Array, contextOffset: number, out: Float64Array, offset: number): void;
  /** Observations (float64, before the cast to the space dtype) of n states. */
  observe(states: Float64Array, n: number, out: Float64Array): void;
  /**
   * Maps an observation back to a state, for reset(options.state) and for models that predict observations. Only
   * definitions whose observation determines the state provide it.
   */
  stateFromObservation?(obs: Float64Array, n: number, out: Float64Array): void;
  /** Whether each next observation ends the episode (not the time limit, which the session owns). */
  terminated(nextObs: Float64Array, contexts: Float64Array, n: number, out: Uint8Array): void;
  /** Rewards of n transitions; `terminated` is what terminated() returned for nextObs. */
  reward(obs: Float64Array, actions: Float64Array, nextObs: Float64Array, terminated: Uint8Array, n: number, out: Float64Array): void;
  /** A fresh instance of the true dynamics (made once per session). */
  trueDynamics(): Dynamics;
  /** A drawing of instance `index` of the given states. */
  render(states: Float64Array, contexts: Float64Array, index: number): Drawing;
}

/** MOCODA's view of an environment: named root and child variables, masks by region, parent sets. */
export interface CausalStructure {
  /** The wire description (roots, children, masks per region). */
  spec(): CausalSpec;
  /**
   * The local mask M(s, a) of each of n transitions: out[i*R*K + r*K + k] = 1 when child k depends on root r, with R
   * roots and K children in spec order.
   */
  mask(obs: Float64Array, actions: Float64Array, n: number, out: Uint8Array): void;
  /** Index (into spec().local_masks) of the region each of n transitions falls in. */
  region(obs: Float64Array, actions: Float64Array, n: number, out: Uint8Array): void;
}

/**
 * Throws unless a model that predicts observations can drive `def`'s sessions: the state must be the observation, or
 * recoverable from it. Learned dynamics (PerSim, MOCODA) check this once, when they are built.
 */
export function assertObservationDrivesState(def: EnvDefinition): void {
  if (def.stateSize !== def.observationSpace.size && !def.stateFromObservation) {
    throw new Error(`${def.id}'s observation does not determine its state, so a learned model cannot drive it`);
  }
}

/** A registry entry: how to build an environment from its options. */
export interface EnvEntry {
  readonly id: string;
  readonly description: string;
  readonly options: readonly EnvOption[];
  /** Builds the definition; options are already validated and completed with defaults. */
  build(options: Readonly<Record<string, string | number | boolean>>): EnvDefinition;
}

/** The wire spec of a definition (what list_envs reports). */
export function envSpecOf(entry: EnvEntry, def: EnvDefinition, dynamics: readonly string[] = ['true']): EnvSpec {
  const spec: EnvSpec = {
    id: entry.id,
    description: entry.description,
    observation_space: def.observationSpace.spec(),
    action_space: def.actionSpace.spec(),
    context: def.context.spec(),
    max_episode_steps: def.maxEpisodeSteps,
    reward_range: [def.rewardRange[0], def.rewardRange[1]],
    render_modes: ['svg'],
    options: entry.options.map((o) => ({ ...o })),
    dynamics: [...dynamics],
  };
  if (def.causal) spec.causal = def.causal.spec();
  return spec;
}
