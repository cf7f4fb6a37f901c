/** The `twingym` command (bin/twingym.mjs runs this file). */
import { Command, Option } from 'commander';
import { intArg } from './parsers.js';
import { printEnvs, printModels } from './envs.js';
import { serve, type ServeFlags } from './serve.js';
import { registerMocodaCommands } from './commands/mocoda.js';
import { registerPersimCommands } from './commands/persim.js';

/** Builds the command tree (exported so tests can parse argv without running anything). */
export function buildProgram(): Command {
  const program = new Command('twingym')
    .description('RL environments and learned simulators of them behind one step/reset protocol')
    .version('0.1.0');

  program
    .command('serve')
    .description('serve every environment over WebSocket (/v1/ws) and HTTP on one port')
    .option('--host <host>', 'address to bind (env HOST; default 127.0.0.1; other hosts need a token)')
    .option('--port <port>', 'port (env PORT; default 8765; 0 picks a free one)', intArg('--port', 0))
    .option('--token <token>', 'require this bearer token (env TWINGYM_TOKEN)')
    .option('--max-sessions <n>', 'sessions per connection (default 64)', intArg('--max-sessions'))
    .option('--max-envs <n>', 'envs per session (default 4096)', intArg('--max-envs'))
    .option('--max-frame-bytes <n>', 'largest request frame (default 16 MiB)', intArg('--max-frame-bytes'))
    .option('--max-connections <n>', 'WebSocket connections server-wide (default 256)', intArg('--max-connections'))
    .option('--max-http-sessions <n>', 'HTTP API sessions server-wide (default 256)', intArg('--max-http-sessions'))
    .option('--models <dir>', 'model registry to serve and train into (env TWINGYM_MODELS; default: the shipped models/)')
    .option('--data <dir>', 'where collect jobs store datasets (env TWINGYM_DATA; default ./twingym-data)')
    .option('--max-jobs <n>', 'background jobs running at once (default 2; 16 more may queue)', intArg('--max-jobs'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });

  program
    .command('envs')
    .description('list the environments (spaces, context parameters, options) without starting a server')
    .option('--json', 'print the specs as JSON')
    .action((flags: { json?: boolean }) => printEnvs(flags));

  program
    .command('models')
    .description('list the learned models a server would serve from a registry directory')
    .option('--models <dir>', 'model registry (default: the shipped models/)')
    .option('--env <id>', 'only the models of this environment')
    .option('--json', 'print the model descriptions as JSON')
    .action(async (flags: { models?: string; env?: string; json?: boolean }) => printModels(flags));

  registerPersimCommands(program);
  registerMocodaCommands(program);
  return program;
}

const isMain = process.argv[1] !== undefined && /twingym(\.mjs)?$|cli[\\/]main\.ts$/.test(process.argv[1]);
if (isMain) {
  buildProgram().parseAsync(process.argv).catch((e: unknown) => {
    process.stderr.write(`twingym: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
