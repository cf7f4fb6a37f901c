/** `twingym envs` and `twingym models`: the registered environments and the served models, without a server. */
import { listEnvEntries, resolveEnvOptions } from '../../envs/registry.js';
import { envSpecOf } from '../core/definition.js';
import type { EnvSpec, SpaceSpec } from '../../protocol/ts/spaces.js';
import { decodeTensor, tensorNumbers } from '../../protocol/ts/tensor.js';
import { toJson } from '../../servers/http/json-tensors.js';
import { DEFAULT_MODELS_DIR } from '../../servers/options.js';
import type { ModelInfo } from '../models/provider.js';
import { MocodaProvider } from '../models/mocoda/provider.js';
import { PersimProvider } from '../models/persim/provider.js';

/** Every env's spec with default options. */
export function envSpecs(): EnvSpec[] {
  return listEnvEntries().map((e) => envSpecOf(e, e.build(resolveEnvOptions(e, {}))));
}

/** A one-line description of a space, e.g. "box f32 [2] in [-1.2, 0.6] x [-0.07, 0.07]" or "discrete 3". */
export function spaceSummary(space: SpaceSpec): string {
  switch (space.type) {
    case 'box': {
      const low = tensorNumbers(decodeTensor(space.low));
      const high = tensorNumbers(decodeTensor(space.high));
      const fmt = (x: number) => (!Number.isFinite(x) || (Number.isInteger(x) && Math.abs(x) < 1e6) ? String(x) : String(Number(x.toPrecision(4))));
      const ranges = low.length <= 4 ? ` in ${Array.from(low, (l, i) => `[${fmt(l)}, ${fmt(high[i])}]`).join(' x ')}` : '';
      return `box ${space.dtype} [${space.shape.join(', ')}]${ranges}`;
    }
    case 'discrete':
      return space.start === 0 ? `discrete ${space.n}` : `discrete ${space.n} from ${space.start}`;
    case 'multi_discrete':
      return `multi_discrete [${space.shape.join(', ')}]`;
    case 'multi_binary':
      return `multi_binary [${space.shape.join(', ')}]`;
    case 'dict':
      return `dict {${space.keys.map((k, i) => `${k}: ${spaceSummary(space.spaces[i])}`).join(', ')}}`;
    case 'tuple':
      return `tuple (${space.spaces.map(spaceSummary).join(', ')})`;
  }
}

/** The human-readable listing. */
export function envsText(specs: readonly EnvSpec[]): string {
  const lines: string[] = [];
  for (const s of specs) {
    lines.push(`${s.id}  ${s.description}`);
    lines.push(`  observation  ${spaceSummary(s.observation_space)}`);
    lines.push(`  action       ${spaceSummary(s.action_space)}`);
    const ctx = s.context.params.map((p) => `${p.name}=${p.default} [${p.low}, ${p.high}]`).join(', ');
    lines.push(`  context      ${ctx || '(none)'}`);
    const opts = s.options.map((o) => `${o.name}=${String(o.default)}${o.choices ? ` (${o.choices.join('|')})` : ''}`).join(', ');
    lines.push(`  options      ${opts || '(none)'}`);
    lines.push(`  episode      ${s.max_episode_steps} steps, reward in [${s.reward_range.join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

/** Prints the listing (JSON with --json: the specs in the HTTP API's JSON form). */
export function printEnvs(flags: { json?: boolean }): void {
  const specs = envSpecs();
  process.stdout.write(flags.json ? `${JSON.stringify(toJson(specs), null, 2)}\n` : envsText(specs));
}

/** The human-readable model listing: one block per model with its environment, agents and training facts. */
export function modelsText(models: readonly ModelInfo[], dir: string): string {
  if (models.length === 0) return `no models in ${dir}\n`;
  const lines: string[] = [];
  for (const m of models) {
    lines.push(`${m.id}  ${m.kind} model of ${m.env_id}`);
    lines.push(`  ${m.description}`);
    const agents = m.agents === null ? 'no agents' : `${m.agents} agents (test agents ${m.test_agents.join(', ') || 'none'}) differing in ${m.context_names.join(', ') || 'nothing'}`;
    lines.push(`  ${agents}; ensemble of ${m.members}; created ${m.created}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Prints the models of a registry (every provider kind the CLI knows: PerSim and MOCODA). */
export async function printModels(flags: { models?: string; env?: string; json?: boolean }): Promise<void> {
  const dir = flags.models ?? DEFAULT_MODELS_DIR;
  const providers = [new PersimProvider(dir), new MocodaProvider(dir)];
  try {
    const all = (await Promise.all(providers.map((p) => p.list()))).flat();
    const models = all.filter((m) => flags.env === undefined || m.env_id === flags.env);
    process.stdout.write(flags.json ? `${JSON.stringify(toJson(models), null, 2)}\n` : modelsText(models, dir));
  } finally {
    await Promise.all(providers.map((p) => p.dispose()));
  }
}
