/**
 * The committed schemas, vectors and spec error table are exactly what scripts/gen-protocol.ts produces from
 * protocol/ts now, so none of them can drift from the definitions the server validates with.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_TABLE_BEGIN, ERROR_TABLE_END, GENERATE_COMMAND, MOUNTAIN_CAR_SPACES, buildSchemas, generatedFiles, httpStatusOf, mountainCarSpec,
} from '../../scripts/gen-protocol.js';
import { ERROR_CODES, type ErrorCode } from '../../protocol/ts/errors.js';
import { OPS, REPLY_SCHEMAS, REQUEST_SCHEMAS } from '../../protocol/ts/messages.js';
import { toVectorJson, type JsonValue } from '../../protocol/ts/vector-json.js';
import { buildMountainCar } from '../../envs/classic/mountain-car.js';
import { ROOT, readRepoFile } from './helpers.js';

const regenerate = `out of date: run ${GENERATE_COMMAND}`;

describe('generated protocol files', () => {
  const files = generatedFiles();

  it('every committed generated file equals the generator output', () => {
    expect(files.size).toBeGreaterThan(20);
    for (const [rel, content] of files) {
      expect(existsSync(join(ROOT, rel)), `${rel} missing; ${regenerate}`).toBe(true);
      expect(readRepoFile(rel), `${rel} ${regenerate}`).toBe(content);
    }
  });

  it('protocol/schemas holds no stale file the generator no longer writes', () => {
    const committed = readdirSync(join(ROOT, 'protocol/schemas')).map((f) => `protocol/schemas/${f}`);
    for (const rel of committed) expect(files.has(rel), `${rel} is not generated any more; ${regenerate}`).toBe(true);
  });

  it('every generated file says it is generated and by which command', () => {
    for (const [rel, content] of files) {
      if (rel.endsWith('.json')) {
        const parsed = JSON.parse(content) as Record<string, unknown>;
        expect(parsed.$comment, rel).toContain(GENERATE_COMMAND);
      } else {
        expect(content, rel).toContain(ERROR_TABLE_BEGIN);
        expect(ERROR_TABLE_BEGIN).toContain(GENERATE_COMMAND);
      }
    }
  });
});

/** Every object node of a JSON document. */
function* walk(node: JsonValue): Generator<Record<string, JsonValue>> {
  if (Array.isArray(node)) for (const x of node) yield* walk(x);
  else if (node !== null && typeof node === 'object') {
    yield node;
    for (const v of Object.values(node)) yield* walk(v);
  }
}

describe('JSON Schemas', () => {
  const schemas = buildSchemas();

  it('has one file per request and reply of every op, the error reply and an index', () => {
    const index = schemas.get('index') as { requests: Record<string, string>; replies: Record<string, string>; error_reply: string; types: string[] };
    expect(Object.keys(index.requests)).toEqual(OPS);
    expect(Object.keys(index.replies)).toEqual(OPS);
    for (const op of OPS) {
      expect(index.requests[op]).toBe(`${(REQUEST_SCHEMAS[op] as { $id: string }).$id}.json`);
      expect(index.replies[op]).toBe(`${REPLY_SCHEMAS[op].$id}.json`);
    }
    for (const f of [...Object.values(index.requests), ...Object.values(index.replies), index.error_reply, ...index.types]) {
      expect(schemas.has(f.replace(/\.json$/, '')), f).toBe(true);
    }
    expect(index.types).toEqual(expect.arrayContaining(['Tensor.json', 'DType.json', 'SpaceSpec.json', 'EnvSpec.json', 'CausalSpec.json']));
  });

  it('is plain JSON Schema: no TypeBox-only kinds, every $ref names an existing file, bytes use the documented form', () => {
    let bytesFields = 0;
    for (const [name, schema] of schemas) {
      if (name === 'index') continue;
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id).toBe(`${name}.json`);
      for (const node of walk(schema)) {
        expect(node.type, `${name}: TypeBox kind leaked`).not.toBe('Uint8Array');
        if (typeof node.$ref === 'string') expect(schemas.has(node.$ref.replace(/\.json$/, '')), `${name} -> ${node.$ref}`).toBe(true);
        if (node.contentMediaType !== undefined) {
          bytesFields++;
          expect(node).toMatchObject({ type: 'string', contentMediaType: 'application/octet-stream' });
          expect(String(node.description)).toMatch(/^msgpack bin/);
        }
      }
    }
    // Tensor.data, get_state_reply.state and set_state_request.state.
    expect(bytesFields).toBe(3);
  });

  it('keeps a shared type in its own file instead of inlining it', () => {
    const step = JSON.stringify(schemas.get('step_request'));
    expect(step).toContain('"$ref":"Tensor.json"');
    expect(step).not.toContain('"dtype"');
  });
});

describe('SPEC.md error table', () => {
  it('lists every code with its HTTP status, meaning and fix between the markers', () => {
    const spec = readRepoFile('protocol/SPEC.md');
    const table = spec.slice(spec.indexOf(ERROR_TABLE_BEGIN), spec.indexOf(ERROR_TABLE_END));
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(Object.keys(ERROR_CODES).length);
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const row = rows.find((r) => r.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row).toContain(`| ${httpStatusOf(code)} |`);
      expect(row).toContain(ERROR_CODES[code].meaning);
    }
  });

  it('maps codes to HTTP statuses as DECISIONS.md 12 says', () => {
    expect(httpStatusOf('unknown_env')).toBe(404);
    expect(httpStatusOf('unknown_session')).toBe(404);
    expect(httpStatusOf('unknown_context_key')).toBe(400);
    expect(httpStatusOf('unknown_op')).toBe(400);
    expect(httpStatusOf('frame_too_large')).toBe(413);
    expect(httpStatusOf('invalid_argument')).toBe(400);
    expect(httpStatusOf('unauthorized')).toBe(401);
    expect(httpStatusOf('too_many_sessions')).toBe(429);
    expect(httpStatusOf('too_many_envs')).toBe(429);
    expect(httpStatusOf('busy')).toBe(503);
    expect(httpStatusOf('internal')).toBe(500);
    expect(httpStatusOf('bad_shape')).toBe(400);
  });
});

describe('realistic vectors', () => {
  it('describes MountainCar-v0 with the spaces and context of the registered environment', () => {
    const def = buildMountainCar();
    const spec = mountainCarSpec();
    const j = (x: unknown) => toVectorJson(x);
    expect(j(MOUNTAIN_CAR_SPACES.observation)).toEqual(j(def.observationSpace.spec()));
    expect(j(MOUNTAIN_CAR_SPACES.action)).toEqual(j(def.actionSpace.spec()));
    expect(j(spec.observation_space)).toEqual(j(def.observationSpace.spec()));
    expect(spec.context).toEqual(def.context.spec());
    expect(spec.max_episode_steps).toBe(def.maxEpisodeSteps);
    expect(spec.reward_range).toEqual([...def.rewardRange]);
  });
});

/** GitHub's heading anchor: lowercase, punctuation other than - and _ dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

describe('SPEC.md structure', () => {
  it('every in-document link points at a heading', () => {
    const spec = readRepoFile('protocol/SPEC.md');
    const anchors = new Set(spec.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
    const links = [...spec.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) expect(anchors.has(link), `#${link}`).toBe(true);
  });
});
