/** The twingym command: option precedence, the env listing, and serve's startup and graceful shutdown as a process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { envSpecs, envsText, modelsText } from '../../src/cli/envs.js';
import { PersimProvider } from '../../src/models/persim/provider.js';
import { serveOptions } from '../../src/cli/serve.js';
import { DEFAULT_MODELS_DIR, resolveServerOptions } from '../../servers/options.js';
import { RawClient } from './raw-client.js';

const BIN = fileURLToPath(new URL('../../bin/twingym.mjs', import.meta.url));

/** Runs the CLI; resolves with its exit code and output once it exits (or `onStdout` asks to signal it). */
function run(args: string[], env: NodeJS.ProcessEnv = {}, onStdout?: (text: string, signal: () => void) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, HOST: '', PORT: '', TWINGYM_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      onStdout?.(stdout, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('serve options', () => {
  it('flags win over HOST, PORT and TWINGYM_TOKEN, which win over defaults', () => {
    const env = { HOST: '10.1.2.3', PORT: '9000', TWINGYM_TOKEN: 'from-env' };
    expect(serveOptions({}, env)).toMatchObject({ host: '10.1.2.3', port: 9000, token: 'from-env' });
    expect(serveOptions({ host: '127.0.0.1', port: 0, token: 'flag' }, env)).toMatchObject({ host: '127.0.0.1', port: 0, token: 'flag' });
    expect(serveOptions({}, {})).toMatchObject({ host: undefined, port: undefined, token: undefined });
    expect(serveOptions({ maxSessions: 3, maxEnvs: 9, maxFrameBytes: 1000 }, {}).limits).toMatchObject({ maxSessionsPerConnection: 3, maxEnvsPerSession: 9, maxFrameBytes: 1000 });
    expect(() => serveOptions({}, { PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('--models, --data and --max-jobs set the places and the job limit; the defaults serve the shipped models', () => {
    const o = serveOptions({ models: '/srv/models', data: '/srv/data', maxJobs: 3 }, { TWINGYM_MODELS: '/env/models' });
    expect(o.places).toEqual({ modelsDir: '/srv/models', datasetsDir: '/srv/data' });
    expect(o.limits?.maxJobs).toBe(3);
    expect(serveOptions({}, { TWINGYM_MODELS: '/env/models' }).places?.modelsDir).toBe('/env/models');
    const resolved = resolveServerOptions(serveOptions({}, {}));
    expect(resolved.places.modelsDir).toBe(join(fileURLToPath(new URL('../../models', import.meta.url))));
    expect(resolved.places.datasetsDir).toBe(join(process.cwd(), 'twingym-data'));
    expect(resolved.limits.maxJobs).toBe(2);
  });
});

describe('twingym models', () => {
  it('lists the shipped models with their env, agents and ensemble size', async () => {
    const provider = new PersimProvider(DEFAULT_MODELS_DIR);
    const text = modelsText(await provider.list(), DEFAULT_MODELS_DIR);
    await provider.dispose();
    expect(text).toContain('persim-mountaincar-random  persim model of MountainCar-v0');
    expect(text).toContain('100 agents (test agents 0, 1, 2, 3, 4) differing in gravity; ensemble of 5');
    expect(modelsText([], '/nowhere')).toBe('no models in /nowhere\n');
  });
});

describe('twingym envs', () => {
  it('summarises spaces, context and options', () => {
    const text = envsText(envSpecs());
    expect(text).toContain('MountainCar-v0');
    expect(text).toMatch(/observation\s+box f32 \[2\] in \[-1\.2, 0\.6\] x \[-0\.07, 0\.07\]/);
    expect(text).toMatch(/action\s+discrete 3/);
    expect(text).toMatch(/context\s+gravity=0\.0025 \[0\.0001, 0\.0035\]/);
  });

  it('--json prints the specs with JSON tensors', async () => {
    const r = await run(['envs', '--json']);
    expect(r.code).toBe(0);
    const specs = JSON.parse(r.stdout) as Array<Record<string, any>>;
    const mc = specs.find((s) => s.id === 'MountainCar-v0')!;
    expect(mc.observation_space.low).toEqual({ dtype: 'f32', shape: [2], data: [Math.fround(-1.2), Math.fround(-0.07)] });
  });
});

describe('twingym serve', () => {
  it('prints where it listens, serves, and exits 0 on SIGTERM after closing sockets with 1001', async () => {
    let client: Promise<RawClient> | null = null;
    let closeCode: Promise<number> | null = null;
    const r = await run(['serve', '--port', '0', '--log-level', 'warn'], {}, (text, signal) => {
      const m = /listening on (http:\/\/\S+) \(WebSocket (ws:\/\/\S+)\)/.exec(text);
      if (!m || client) return;
      client = RawClient.connect(m[2]);
      closeCode = client.then(async (c) => {
        expect((await c.ok({ op: 'hello', protocol: '1.0.0' })).ok).toBe(true);
        expect((await fetch(`${m[1]}/healthz`)).status).toBe(200);
        signal();
        return (await c.closed()).code;
      });
    });
    expect(r.code).toBe(0);
    expect(await closeCode).toBe(1001);
  });

  it('refuses a public host without a token (exit 2, reason on stderr)', async () => {
    const r = await run(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/token/);
  });

  it('rejects a malformed flag', async () => {
    const r = await run(['serve', '--port', 'abc']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--port/);
  });
});
