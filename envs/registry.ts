/**
 * The environment registry: stable, versioned ids to entries. Servers, the CLI and scripts all look environments up
 * here, and options are validated and completed with defaults before a definition is built.
 */
import type { EnvDefinition, EnvEntry } from '../src/core/definition.js';
import { TwinGymError } from '../src/core/errors.js';
import { classicEntries } from './classic/index.js';
import { physicsEntries } from './physics/index.js';

const entries = new Map<string, EnvEntry>();

/** Adds an entry; ids must be unique. */
export function registerEnv(entry: EnvEntry): void {
  if (entries.has(entry.id)) throw new Error(`environment ${entry.id} is already registered`);
  entries.set(entry.id, entry);
}

/** Every registered entry, in registration order. */
export function listEnvEntries(): EnvEntry[] {
  return [...entries.values()];
}

/** The entry for an id, or an unknown_env error listing the known ids. */
export function getEnvEntry(id: string): EnvEntry {
  const e = entries.get(id);
  if (!e) {
    const known = [...entries.keys()];
    const near = known.find((k) => k.toLowerCase() === id.toLowerCase() || k.split('-')[0] === id.split('-')[0]);
    throw new TwinGymError('unknown_env', `no environment "${id}"${near ? `; did you mean "${near}"?` : ''} Known: ${known.join(', ')}`, { env_id: id, known });
  }
  return e;
}

/** Options completed with defaults; unknown names and values outside the choices are errors. */
export function resolveEnvOptions(entry: EnvEntry, given: Readonly<Record<string, string | number | boolean>> = {}): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const name of Object.keys(given)) {
    if (!entry.options.some((o) => o.name === name)) {
      throw new TwinGymError('unknown_env_option', `${entry.id} has no option "${name}"${entry.options.length ? `; its options are ${entry.options.map((o) => o.name).join(', ')}` : '; it takes no options'}`, { option: name });
    }
  }
  for (const o of entry.options) {
    const v = given[o.name] ?? o.default;
    if (typeof v !== o.type) throw new TwinGymError('unknown_env_option', `option ${o.name} must be a ${o.type}`, { option: o.name });
    if (o.choices && !o.choices.includes(v as string | number)) {
      throw new TwinGymError('unknown_env_option', `option ${o.name}=${String(v)} is not one of ${o.choices.join(', ')}`, { option: o.name, choices: o.choices });
    }
    out[o.name] = v;
  }
  return out;
}

/** Builds the definition of an id with the given options. */
export function makeDefinition(id: string, options?: Readonly<Record<string, string | number | boolean>>): EnvDefinition {
  const entry = getEnvEntry(id);
  return entry.build(resolveEnvOptions(entry, options));
}

for (const entry of [...classicEntries, ...physicsEntries]) registerEnv(entry);
