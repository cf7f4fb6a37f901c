/**
 * Runs the PerSim commands (collect, train, compare) on their own, before and independently of src/cli/main.ts:
 * node bin/run-ts.mjs scripts/persim-cli.ts <command> [options]
 */
import { Command } from 'commander';
import { registerPersimCommands } from '../src/cli/commands/persim.js';

const program = new Command('twingym');
registerPersimCommands(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`twingym: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
