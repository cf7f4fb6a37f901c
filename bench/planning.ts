/**
 * Decision latency of the MPC planners (issue 7), each next to a baseline measured in the same run:
 * - the same transitions stepped by a plain in-process loop (the dynamics alone, no sampling, scoring or bookkeeping),
 *   so "overhead" is what the planner adds on top of the imagined steps it must compute anyway;
 * - for learned models, plain tf.matMul calls with the floating-point work of PerSim's networks for the same rows (the
 *   floor for the full 1000 x 50 x 5 rows; with prefix sharing the planner steps fewer rows, so its rows are also
 *   shown with sharing off, and the rows actually stepped are printed);
 * - plan over the protocol (a child `twingym serve`) against the same decision in process.
 * Nothing is asserted; results are printed and written to docs/results/mpc-planning-bench.md (or --out FILE).
 *
 * Usage: node bin/run-ts.mjs bench/planning.ts [--decisions 30] [--no-cheetah] [--no-tf] [--cheetah-model ID]
 *        [--cheetah-registry DIR] [--out FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { listEnvEntries, makeDefinition } from '../envs/registry.js';
import { decodeFrame, encodeFrame } from '../protocol/ts/frame.js';
import type { Dynamics, EnvDefinition, TransitionBatch } from '../src/core/definition.js';
import { Rng } from '../src/core/rng.js';
import { EnvSession } from '../src/core/session.js';
import { Cem } from '../src/planning/cem.js';
import { meanStepFromMembers } from '../src/planning/ensemble.js';
import { MOUNTAIN_CAR_BONUS } from '../src/planning/objective.js';
import { contextRowOf } from '../src/planning/planner.js';
import type { Planner } from '../src/planning/planner.js';
import { RandomShooting } from '../src/planning/random-shooting.js';
import { ROOT, median, spawnTwinGym, table } from './util.js';

const COMMAND = `node bin/run-ts.mjs bench/planning.ts ${process.argv.slice(2).join(' ')}`.trim();
const DECISIONS = Number(process.argv[process.argv.indexOf('--decisions') + 1] ?? 30) || 30;

/**
 * The baseline: `steps` batched calls of the dynamics on `rows` rows with fixed random actions, plus the definition's
 * reward and termination (the planner must compute them too). No sampling, no scoring, no done-masking. Returns a
 * function that runs it once and answers its milliseconds.
 */
function plainLoop(def: EnvDefinition, dynamics: Dynamics, rows: number, steps: number, start: Float64Array, context: Float64Array): () => number {
  const S = def.stateSize;
  const A = def.actionSpace.size;
  const C = def.context.size;
  const rng = Rng.fromSeed(1);
  const actions = Float64Array.from({ length: rows * A }, (_, i) => {
    const k = i % A;
    return def.actionSpace.integral ? rng.integer(def.actionSpace.low[k], def.actionSpace.high[k]) : rng.uniform(def.actionSpace.low[k], def.actionSpace.high[k]);
  });
  const contexts = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) contexts.set(context, r * C);
  const rngs = new Array<Rng>(rows).fill(rng);
  const O = def.observationSpace.size;
  const obs = new Float64Array(rows * O);
  const nextObs = new Float64Array(rows * O);
  const term = new Uint8Array(rows);
  const rew = new Float64Array(rows);
  let cur = new Float64Array(rows * S);
  let next = new Float64Array(rows * S);
  return () => {
    for (let r = 0; r < rows; r++) cur.set(start.subarray(0, S), r * S);
    const t0 = performance.now();
    def.observe(cur, rows, obs);
    for (let t = 0; t < steps; t++) {
      dynamics.step({ n: rows, states: cur, actions, contexts, next, rngs });
      def.observe(next, rows, nextObs);
      def.terminated(nextObs, contexts, rows, term);
      def.reward(obs, actions, nextObs, term, rows, rew);
      [cur, next] = [next, cur];
    }
    return performance.now() - t0;
  };
}

/**
 * Times `decisions` planning steps along a real trajectory (plan, then step the true env with the action, so warm
 * starts are exercised as in use), each followed by one run of the baseline, so both see the same machine load on a
 * shared host. The first `warm` pairs are not counted (JIT). Returns the medians in milliseconds.
 */
function paired(planner: Planner, clock: Timed, session: EnvSession, context: Float64Array, baseline: () => number, decisions: number, warm = 2): { planner: number; inDynamics: number; baseline: number; stepped: number } {
  const p: number[] = [];
  const stepped: number[] = [];
  const inside: number[] = [];
  const b: number[] = [];
  for (let k = 0; k < decisions + warm; k++) {
    clock.take();
    const t0 = performance.now();
    const d = planner.plan(session.currentStates(), context);
    const t1 = performance.now();
    const dyn = clock.take();
    const base = baseline();
    if (k >= warm) {
      p.push(t1 - t0);
      stepped.push(planner instanceof RandomShooting ? planner.lastSteppedRows : d.transitions);
      inside.push(dyn);
      b.push(base);
    }
    const r = session.step(d.action);
    if (r.terminated[0] || r.truncated[0]) session.reset();
  }
  return { planner: median(p), inDynamics: median(inside), baseline: median(b), stepped: median(stepped) };
}

/** A stand-in ensemble of M copies of the true dynamics, to measure the planner's per-member handling alone. */
function trueEnsemble(def: EnvDefinition, members: number): Dynamics {
  const base = def.trueDynamics();
  const stepMembers = (b: TransitionBatch) => base.step(b);
  return { kind: 'true-x' + members, info: {}, members, stepMembers, step: (b) => meanStepFromMembers(stepMembers, members, b, def.stateSize), rowDeterministic: true };
}

interface Row {
  what: string;
  planner: number;
  /** Median milliseconds the decisions spent inside the dynamics' step calls (undefined where not instrumented). */
  inDynamics?: number;
  baseline: number;
  baselineName: string;
  /** Median rows the dynamics stepped per decision (below the nominal count where prefixes were shared). */
  stepped?: number;
}

/** Time spent inside a dynamics' step and stepMembers calls, read and reset by the benchmark. */
interface Timed {
  dynamics: Dynamics;
  take(): number;
}

/** Wraps a dynamics so the time spent in its calls can be told apart from the planner's own work. */
function timed(base: Dynamics): Timed {
  let ms = 0;
  const wrap = (f: (b: TransitionBatch) => void) => (b: TransitionBatch) => {
    const t0 = performance.now();
    f(b);
    ms += performance.now() - t0;
  };
  const dynamics: Dynamics = { kind: base.kind, info: base.info, step: wrap((b) => base.step(b)), rowDeterministic: base.rowDeterministic };
  if (base.members !== undefined) Object.assign(dynamics, { members: base.members });
  if (base.stepMembers) dynamics.stepMembers = wrap((b) => base.stepMembers!(b));
  return { dynamics, take: () => { const v = ms; ms = 0; return v; } };
}

const fmtMs = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function row(r: Row): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return [
    r.what, r.stepped === undefined ? '-' : String(Math.round(r.stepped)), fmtMs(r.planner), r.inDynamics === undefined ? '-' : fmtMs(r.inDynamics), r.baselineName, fmtMs(r.baseline),
    pct((r.planner - r.baseline) / r.baseline), r.inDynamics === undefined ? '-' : pct((r.planner - r.inDynamics) / r.inDynamics),
  ];
}

/**
 * PerSim's network FLOPs for `rows` rows per member, as plain 2-D tf.matMul calls synced once per imagined step.
 * Returns a function that runs the work once and answers its milliseconds (so it can be interleaved with decisions),
 * or null when TF.js is unavailable.
 */
async function matMulFloor(layers: number[], rowsPerMember: number, members: number, steps: number): Promise<{ once: () => number; backend: string } | null> {
  let tfmod: typeof import('../src/models/nn/backend.js');
  try {
    tfmod = await import('../src/models/nn/backend.js');
  } catch {
    return null;
  }
  const info = await tfmod.ensureBackend();
  const tf = tfmod.tf;
  const weights = Array.from({ length: members }, () => layers.slice(1).map((out, k) => tf.randomNormal([layers[k], out])));
  const x = tf.randomNormal([rowsPerMember, layers[0]]);
  const once = () => {
    const t0 = performance.now();
    for (let t = 0; t < steps; t++) {
      const outs = weights.map((ws) => tf.tidy(() => ws.reduce((h, w) => tf.matMul(h, w), x as import('@tensorflow/tfjs').Tensor)));
      for (const o of outs) {
        o.dataSync();
        o.dispose();
      }
    }
    return performance.now() - t0;
  };
  once();
  return { once, backend: info.name };
}

/** The median of `repeats` runs of a timed function. */
function medianOf(once: () => number, repeats: number): number {
  return median(Array.from({ length: repeats }, once));
}

/**
 * Random shooting 1000 x 50 imagining with the registry's PerSim MountainCar model (5 members, per-member rollouts),
 * each decision followed by one run of the same network FLOPs as plain matMuls. Null when the model or TF.js is missing.
 */
async function persimRow(decisions: number, floor: { once: () => number } | null, sharePrefixes = true): Promise<{ row: Row; floor: number; model: string } | string> {
  if (!floor) return 'TF.js unavailable';
  let mod: typeof import('../src/models/persim/index.js');
  let model: InstanceType<typeof mod.PersimModel>;
  const id = 'persim-mountaincar-random';
  try {
    mod = await import('../src/models/persim/index.js');
    model = await mod.loadPersim(join(ROOT, 'models'), id);
  } catch (e) {
    return `no PerSim model (${(e as Error).message.split('\n')[0]})`;
  }
  const def = makeDefinition('MountainCar-v0');
  const agent = model.meta.agents.test_agents[3];
  const gravity = model.agentContext(agent).gravity;
  const s = new EnvSession({ definition: def, contexts: { gravity } });
  s.reset({ state: Float64Array.of(-0.5, 0) });
  const clock = timed(new mod.PersimDynamics(def, model, { agent }, { modelId: id }));
  const rs = new RandomShooting({ definition: def, dynamics: clock.dynamics }, { positionBonus: MOUNTAIN_CAR_BONUS, sharePrefixes }, 1);
  const m = paired(rs, clock, s, Float64Array.of(gravity), floor.once, decisions);
  return {
    row: { what: `random shooting 1000 x 50 x 5 members, PerSim MountainCar model \`${id}\` (test agent 4, gravity ${gravity})${sharePrefixes ? '' : ', prefix sharing off'}`, ...m, baselineName: 'same network FLOPs as plain matMuls (1000 x 50 x 5 rows)' },
    floor: m.baseline,
    model: id,
  };
}

/**
 * CEM 200 x 30 x 6 iterations imagining with a PerSim HalfCheetah model (--cheetah-model ID, registry
 * --cheetah-registry, default /tmp/twingym-halfcheetah; scripts/persim-halfcheetah.ts trains one), each decision paired
 * with plain matMuls of that model's network FLOPs (state and action encoders, 5 members x 200 rows x 180 steps).
 */
async function persimCheetahRow(decisions: number): Promise<Row | string> {
  const i = process.argv.indexOf('--cheetah-model');
  if (i < 0) return 'pass --cheetah-model ID';
  const id = process.argv[i + 1];
  const r = process.argv.indexOf('--cheetah-registry');
  const registry = r >= 0 ? process.argv[r + 1] : '/tmp/twingym-halfcheetah';
  const mod = await import('../src/models/persim/index.js');
  let model: InstanceType<typeof mod.PersimModel>;
  try {
    model = await mod.loadPersim(registry, id);
  } catch (e) {
    return `no model (${(e as Error).message.split('\n')[0]})`;
  }
  const h = model.meta.hyper;
  const D = model.network.D;
  const M = h.members;
  const stateFloor = await matMulFloor([D, ...h.stateHidden, D * h.rank], 200, M, 30 * 6);
  const actionFloor = await matMulFloor([model.meta.shape.actionSize, ...h.actionHidden, h.rank], 200, M, 30 * 6);
  if (!stateFloor || !actionFloor) return 'TF.js unavailable';
  const def = makeDefinition('HalfCheetah-v0');
  const agent = model.meta.agents.test_agents[4];
  const s = new EnvSession({ definition: def, contexts: model.agentContext(agent), seed: 0 });
  s.reset();
  const clock = timed(new mod.PersimDynamics(def, model, { agent }, { modelId: id }));
  const cem = new Cem({ definition: def, dynamics: clock.dynamics }, {}, 1);
  const m = paired(cem, clock, s, contextRowOf(def, model.agentContext(agent)), () => stateFloor.once() + actionFloor.once(), decisions, 1);
  s.close();
  return {
    what: `CEM 200 x 30 x 6 iterations x 5 members (ensemble-mean states), PerSim HalfCheetah model \`${id}\` (${D}-${h.stateHidden.join('x')}-${D * h.rank} state encoder; test agent 5; ${decisions} decisions)`,
    ...m,
    baselineName: 'same network FLOPs as plain matMuls',
  };
}

/** plan over the protocol against the same decision in process. */
async function protocolRow(decisions: number): Promise<Row> {
  const server = await spawnTwinGym();
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/v1/ws`, { maxPayload: 1 << 30 });
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const pending: Array<(m: Record<string, unknown>) => void> = [];
    ws.on('message', (d: Buffer) => pending.shift()!(decodeFrame(d) as Record<string, unknown>));
    let id = 1;
    const call = (msg: Record<string, unknown>) => new Promise<Record<string, unknown>>((resolve) => {
      pending.push(resolve);
      ws.send(encodeFrame({ id: id++, ...msg }));
    });
    const made = await call({ op: 'make', env_id: 'MountainCar-v0', seed: 0 });
    const session = made.session;
    await call({ op: 'reset', session, options: { state: [-0.5, 0] } });
    const def = makeDefinition('MountainCar-v0');
    const s = new EnvSession({ definition: def });
    s.reset({ state: Float64Array.of(-0.5, 0) });
    const rs = new RandomShooting({ definition: def, dynamics: s.dynamics }, { positionBonus: MOUNTAIN_CAR_BONUS }, 1);
    // Remote and local decisions alternate, so both see the same load.
    const times: number[] = [];
    const local: number[] = [];
    for (let k = 0; k < decisions + 2; k++) {
      const t0 = performance.now();
      const d = await call({ op: 'plan', session, settings: { position_bonus: { weight: 0.01 } }, ...(k === 0 ? { seed: 1 } : {}) });
      const t1 = performance.now();
      const l = rs.plan(s.currentStates(), Float64Array.of(0.0025));
      const t2 = performance.now();
      if (k >= 2) {
        times.push(t1 - t0);
        local.push(t2 - t1);
      }
      await call({ op: 'step', session, action: d.action });
      const r = s.step(l.action);
      if (r.terminated[0] || r.truncated[0]) s.reset();
    }
    ws.close();
    return { what: 'plan op over WebSocket, random shooting 1000 x 50, MountainCar-v0 (child server)', planner: median(times), baseline: median(local), baselineName: 'same decision in process' };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const load0 = loadavg().map((x) => x.toFixed(2)).join(' ');
  const rows: Row[] = [];
  const notes: string[] = [];
  const named = new Map<string, Row>();
  const log = (r: Row, name?: string) => {
    rows.push(r);
    if (name) named.set(name, r);
    console.log(row(r).join(' | '));
  };

  // Random shooting on the true MountainCar, with prefix sharing (the default) and without.
  const mc = makeDefinition('MountainCar-v0');
  const mcCtx = Float64Array.of(0.0025);
  for (const sharePrefixes of [true, false]) {
    const off = sharePrefixes ? '' : ', prefix sharing off';
    {
      const s = new EnvSession({ definition: mc });
      s.reset({ state: Float64Array.of(-0.5, 0) });
      const clock = timed(s.dynamics);
      const rs = new RandomShooting({ definition: mc, dynamics: clock.dynamics }, { positionBonus: MOUNTAIN_CAR_BONUS, sharePrefixes }, 1);
      const m = paired(rs, clock, s, mcCtx, plainLoop(mc, mc.trueDynamics(), 1000, 50, Float64Array.of(-0.5, 0), mcCtx), DECISIONS);
      log({ what: `random shooting 1000 x 50, true MountainCar-v0${off}`, ...m, baselineName: 'plain loop, 1000 rows x 50 steps' });
    }
    // Random shooting with 5 members, each rolling out its own trajectory (members = copies of the true dynamics).
    {
      const s = new EnvSession({ definition: mc });
      s.reset({ state: Float64Array.of(-0.5, 0) });
      const ens = trueEnsemble(mc, 5);
      const clock = timed(ens);
      const rs = new RandomShooting({ definition: mc, dynamics: clock.dynamics }, { positionBonus: MOUNTAIN_CAR_BONUS, sharePrefixes }, 1);
      const m = paired(rs, clock, s, mcCtx, plainLoop(mc, mc.trueDynamics(), 5000, 50, Float64Array.of(-0.5, 0), mcCtx), DECISIONS);
      log({ what: `random shooting 1000 x 50 x 5 members (per-member rollouts), stand-in ensemble of true MountainCar${off}`, ...m, baselineName: 'plain loop, 5000 rows x 50 steps' }, sharePrefixes ? 'rs-members' : undefined);
    }
  }
  // CEM on MountainCarContinuous.
  const mcc = makeDefinition('MountainCarContinuous-v0');
  const mccCtx = Float64Array.of(0.0025, 0.0015);
  {
    const s = new EnvSession({ definition: mcc });
    s.reset({ state: Float64Array.of(-0.5, 0) });
    const clock = timed(s.dynamics);
    const cem = new Cem({ definition: mcc, dynamics: clock.dynamics }, {}, 1);
    const m = paired(cem, clock, s, mccCtx, plainLoop(mcc, mcc.trueDynamics(), 200, 30 * 6, Float64Array.of(-0.5, 0), mccCtx), DECISIONS);
    log({ what: 'CEM 200 x 30 x 6 iterations, true MountainCarContinuous-v0', ...m, baselineName: 'plain loop, 200 rows x 180 steps' }, 'cem');
  }
  // CEM on the physics cheetah, when registered.
  if (!process.argv.includes('--no-cheetah') && listEnvEntries().some((e) => e.id === 'HalfCheetah-v0')) {
    const hc = makeDefinition('HalfCheetah-v0');
    const s = new EnvSession({ definition: hc, seed: 0 });
    s.reset();
    const ctx = Float64Array.from(hc.context.defaults);
    const clock = timed(s.dynamics);
    const cem = new Cem({ definition: hc, dynamics: clock.dynamics }, {}, 1);
    const n = 2;
    const m = paired(cem, clock, s, ctx, plainLoop(hc, s.dynamics, 200, 30 * 6, s.currentStates(), ctx), n, 1);
    log({ what: `CEM 200 x 30 x 6 iterations, true HalfCheetah-v0 (cannon-es, ${String(s.dynamics.info.workers)} worker threads + main; ${n} decisions)`, ...m, baselineName: 'plain loop, 200 rows x 180 steps (same worlds)' });
    s.close();
  } else {
    notes.push('HalfCheetah-v0 was not measured (not registered, or --no-cheetah).');
  }
  // Protocol: one plan message per decision.
  log(await protocolRow(DECISIONS));

  // The floor for learned models: PerSim's network FLOPs as plain matMuls (REFERENCE.md 3).
  const floors: string[] = [];
  const persimNotes: string[] = [];
  if (!process.argv.includes('--no-tf')) {
    // MountainCar: state encoder 2 -> 256 -> D*r = 2*3; 5 members x 1000 rows, 50 steps (agent and action encoders are
    // a lookup and a 3-wide product: negligible).
    const mcFloor = await matMulFloor([2, 256, 6], 1000, 5, 50);
    // HalfCheetah: 18 -> 512 x 4 -> D*r = 18*15; CEM feeds the 200 mean states to all 5 members, 30 steps x 6
    // iterations. Measured over one iteration (30 steps) and multiplied by 6 to keep the run short.
    const hcFloor = await matMulFloor([18, 512, 512, 512, 512, 270], 200, 5, 30);
    // The real thing where a trained model exists: PerSim behind the planner, paired with the matMul floor.
    const persim = await persimRow(DECISIONS, mcFloor);
    if (typeof persim === 'string') persimNotes.push(`PerSim + random shooting was not measured: ${persim}.`);
    else {
      log(persim.row);
      const unshared = await persimRow(DECISIONS, mcFloor, false);
      if (typeof unshared !== 'string') log(unshared.row);
    }
    const hcPersim = await persimCheetahRow(2);
    if (typeof hcPersim === 'string') persimNotes.push(`PerSim HalfCheetah + CEM was not measured: ${hcPersim}.`);
    else log(hcPersim);
    // What the planner adds beyond the transitions (decision minus time in the dynamics, from the rows above), as a
    // share of the network floor: the overhead a PerSim-backed decision carries on top of its network calls.
    const added = (name: string) => named.get(name)!.planner - named.get(name)!.inDynamics!;
    if (mcFloor) {
      const f = typeof persim === 'string' ? medianOf(mcFloor.once, 3) : persim.floor;
      floors.push(`| PerSim MountainCar forward, 5 members x 1000 rows x 50 steps (2-256-6) | ${mcFloor.backend} | ${fmtMs(f)} | ${fmtMs(added('rs-members'))} ms (random shooting, 5 per-member rollouts) = ${((added('rs-members') / f) * 100).toFixed(1)}% |`);
    }
    if (hcFloor) {
      const f = medianOf(hcFloor.once, 1) * 6;
      floors.push(`| PerSim HalfCheetah forward, 5 members x 200 rows x 30 steps x 6 iterations (18-512x4-270; 1 iteration measured, x 6) | ${hcFloor.backend} | ${fmtMs(f)} | ${fmtMs(added('cem'))} ms (CEM on MountainCarContinuous: same sampling and refits) = ${((added('cem') / f) * 100).toFixed(2)}% |`);
    }
  }

  const took = ((Date.now() - started) / 1000).toFixed(0);
  const md = [
    '# MPC planning benchmarks',
    '',
    `Command: \`${COMMAND}\``,
    '',
    `Date: ${new Date().toISOString()}; took ${took} s. Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}; load average before ${load0}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')} (the machine is shared: compare ratios within a run).`,
    '',
    `Median decision time over ${DECISIONS} decisions along a real trajectory (warm starts in use; 2 warm-up decisions not counted; HalfCheetah: 2 decisions). `
      + 'Baseline: the same number of imagined transitions stepped by a plain loop over the dynamics plus the env\'s reward and termination, no planner, run right after each decision so both see the same load; '
      + '"overhead" = planner / baseline - 1 (sampling, scoring, done-masking, per-member layout, elite refits).',
    '',
    table(['decision', 'rows stepped per decision', 'planner ms', 'of which in dynamics ms', 'baseline', 'baseline ms', 'overhead vs baseline', 'overhead vs in-dynamics time'], rows.map(row)),
    '',
    '"Rows stepped per decision": the rows the dynamics computed. Random shooting shares the steps of sequences with a',
    'common action prefix on row-deterministic dynamics (src/planning/rollout.ts; bit-identical decisions), so it steps',
    'fewer rows than the nominal 1000 x 50 (x 5 members); each such row is also shown with sharing off. The baselines',
    'always do the full nominal work, so a shared row\'s "overhead" is against the work it was asked for, not the work done.',
    '',
    'Two overheads: against the plain loop (same number of transitions, but fixed actions and one start, so for physics',
    'the trajectories, and hence the contact work, differ from the planner\'s), and against the time the same decisions',
    'spent inside the dynamics\' own calls (exact for any dynamics: everything else is the planner).',
    '',
    '## The floor for learned models',
    '',
    'A learned model\'s floor is its arithmetic: below, the same floating-point work as plain 2-D tf.matMul calls per',
    'member, synced once per imagined step (what a planner needs before it can compute rewards). The PerSim row of the',
    'table above (when the registry has the model) pairs each real decision with one run of that floor, so its',
    '"overhead vs baseline" is the planning overhead over plain matMuls of the same FLOPs (PerSim\'s own network code',
    'included); the last column below is the planner\'s own time alone as a share of the floor.',
    'Why 2-D calls per member rather than one 3-D batched tf.matMul over the members: on the wasm backend the batched',
    'form is not the fast path (measured in session 6 for the MountainCar network, 50 steps x 5 members x 1000 rows:',
    '748 ms batched against 55 ms in per-member 2-D calls), so the per-member form is the cheapest plain floor.',
    'PerSim\'s own fast path calls the backend\'s fused matMul + bias + ReLU kernel directly on operands kept in its',
    '[1, rows, in] shape (src/models/nn/matmul.ts, fusedDense3d): tf.fused.matMul\'s wrapper reshapes both operands and',
    'the result, five engine ops per layer, which cost 3.3 ms of a 56 ms decision (session 7; bit-identical results).',
    'On this shared machine a row occasionally runs a whole phase about 2x slower (seen on the planner side and on the',
    'floor side, never both; 3 of about 15 runs in session 7): compare a row against its own paired floor, and rerun',
    'when one side is out of family.',
    '',
    '| network work per decision | TF.js backend | ms | the planner\'s own time (decision minus time in the dynamics, table above) as a share of it |',
    '| --- | --- | --- | --- |',
    ...(floors.length ? floors : ['| (not measured: --no-tf or TF.js unavailable) | | | |']),
    '',
    ...persimNotes,
    ...notes,
  ].join('\n');
  console.log(`\n${md}`);
  const at = process.argv.indexOf('--out');
  const out = at >= 0 ? process.argv[at + 1] : join(ROOT, 'docs/results/mpc-planning-bench.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${md}\n`);
  console.log(`wrote ${out}`);
  process.exit(0);
}

void main();
