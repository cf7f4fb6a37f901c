/**
 * The in-memory offline dataset: one trajectory per agent, rows grouped by agent in time order. Arrays are row-major
 * float64 like every batch in TwinGym; discrete actions are stored as their integer values. Each agent's context is
 * stored once (agentContexts); per-row contexts are derived on export.
 */
import { createHash } from 'node:crypto';

/** Behaviour policies of PerSim's datasets. */
export const POLICIES = ['random', 'pure', 'pure-eps-20', 'pure-eps-40'] as const;
/** One of PerSim's behaviour policy names. */
export type PolicyName = (typeof POLICIES)[number];

/** An offline dataset of transitions from many agents (contexts). */
export interface Dataset {
  envId: string;
  envOptions: Record<string, string | number | boolean>;
  /** Behaviour policy name (one of POLICIES for PerSim data). */
  policy: string;
  /** What the policy does, in words (the pure controller's law, the epsilon). */
  policyDescription: string;
  /** Seed the collection was run with (0 when unknown, e.g. imported data). */
  seed: number;
  obsSize: number;
  actionSize: number;
  /** Number of discrete actions, or 0 for continuous actions. */
  discreteActions: number;
  contextNames: string[];
  numAgents: number;
  /** numAgents x contextNames.length. */
  agentContexts: Float64Array;
  /** Agent ids that are PerSim's test agents, in test-agent order. */
  testAgents: number[];
  /** Number of transitions. */
  n: number;
  observations: Float64Array;
  actions: Float64Array;
  rewards: Float64Array;
  nextObservations: Float64Array;
  /** 1 where the episode terminated (the environment's own end). */
  terminals: Uint8Array;
  /** 1 where the episode was truncated by the time limit (D4RL's "timeouts"). */
  timeouts: Uint8Array;
  agentIds: Int32Array;
}

/** Row ranges [start, end) of each agent's trajectory, by agent id (empty when an agent has no rows). */
export function agentRanges(d: Dataset): Array<[number, number]> {
  const ranges: Array<[number, number]> = Array.from({ length: d.numAgents }, () => [0, 0]);
  let i = 0;
  while (i < d.n) {
    const a = d.agentIds[i];
    let j = i;
    while (j < d.n && d.agentIds[j] === a) j++;
    ranges[a] = [i, j];
    i = j;
  }
  return ranges;
}

/** Checks the array lengths and value ranges against the header; throws an Error naming the first problem. */
export function validateDataset(d: Dataset): void {
  const want: Array<[string, number, number]> = [
    ['observations', d.observations.length, d.n * d.obsSize],
    ['actions', d.actions.length, d.n * d.actionSize],
    ['rewards', d.rewards.length, d.n],
    ['next_observations', d.nextObservations.length, d.n * d.obsSize],
    ['terminals', d.terminals.length, d.n],
    ['timeouts', d.timeouts.length, d.n],
    ['agent_ids', d.agentIds.length, d.n],
    ['agent_contexts', d.agentContexts.length, d.numAgents * d.contextNames.length],
  ];
  for (const [name, got, expected] of want) {
    if (got !== expected) throw new Error(`dataset field ${name} has ${got} values; the header needs ${expected}`);
  }
  for (let i = 0; i < d.n; i++) {
    const a = d.agentIds[i];
    if (!(a >= 0 && a < d.numAgents)) throw new Error(`row ${i} has agent id ${a}, outside 0..${d.numAgents - 1}`);
  }
  for (const t of d.testAgents) if (!(t >= 0 && t < d.numAgents)) throw new Error(`test agent ${t} is not an agent id`);
}

/**
 * A content hash (sha256, hex) over the header fields that define the data and every array's bytes: two datasets
 * with the same fingerprint train identical models under the same seed. Stored in model manifests.
 */
export function datasetFingerprint(d: Dataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({
    env: d.envId, options: d.envOptions, obs: d.obsSize, act: d.actionSize, discrete: d.discreteActions,
    contexts: d.contextNames, agents: d.numAgents, n: d.n,
  }));
  for (const a of [d.agentContexts, d.observations, d.actions, d.rewards, d.nextObservations, d.terminals, d.timeouts, d.agentIds]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
}

/** Summary numbers for logs and manifests. */
export function datasetSummary(d: Dataset): { transitions: number; agents: number; meanLength: number; terminated: number; truncated: number } {
  let term = 0;
  let trunc = 0;
  for (let i = 0; i < d.n; i++) { term += d.terminals[i]; trunc += d.timeouts[i]; }
  return { transitions: d.n, agents: d.numAgents, meanLength: d.n / Math.max(1, d.numAgents), terminated: term, truncated: trunc };
}

/** The rows of the given agents (a new dataset keeping agent ids and contexts as they are). */
export function selectAgents(d: Dataset, agents: readonly number[]): Dataset {
  const keep = new Set(agents);
  const rows: number[] = [];
  for (let i = 0; i < d.n; i++) if (keep.has(d.agentIds[i])) rows.push(i);
  return selectRows(d, rows);
}

/** A dataset made of the given rows, in the given order. */
export function selectRows(d: Dataset, rows: readonly number[]): Dataset {
  const O = d.obsSize;
  const A = d.actionSize;
  const pick = <T extends Float64Array | Uint8Array | Int32Array>(src: T, width: number, make: (n: number) => T): T => {
    const out = make(rows.length * width);
    rows.forEach((r, k) => out.set(src.subarray(r * width, (r + 1) * width), k * width));
    return out;
  };
  return {
    ...d,
    n: rows.length,
    observations: pick(d.observations, O, (n) => new Float64Array(n)),
    actions: pick(d.actions, A, (n) => new Float64Array(n)),
    rewards: pick(d.rewards, 1, (n) => new Float64Array(n)),
    nextObservations: pick(d.nextObservations, O, (n) => new Float64Array(n)),
    terminals: pick(d.terminals, 1, (n) => new Uint8Array(n)),
    timeouts: pick(d.timeouts, 1, (n) => new Uint8Array(n)),
    agentIds: pick(d.agentIds, 1, (n) => new Int32Array(n)),
    testAgents: [...d.testAgents],
  };
}
