/** Loading the committed protocol files for the protocol tests. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Vector } from '../../scripts/gen-protocol.js';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A committed file as text. */
export function readRepoFile(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8');
}

/** The committed protocol/vectors/v1.json. */
export function loadVectors(): { protocol: string; vectors: Vector[] } {
  return JSON.parse(readRepoFile('protocol/vectors/v1.json')) as { protocol: string; vectors: Vector[] };
}
