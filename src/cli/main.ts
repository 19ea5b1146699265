import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { agentCommand } from './agent/agent.command.js';
import { alertsCommand } from './alerts.command.js';
import { usersCommand } from './users.command.js';

// The server's modules load only for the commands that run it: `agenthub agent ...` on a
// monitored machine starts in a fraction of the time and never loads PGlite or argon2.
const serveCommand = async () => (await import('./serve.command.js')).serveCommand();
const migrateCommand = async () => (await import('./migrate.command.js')).migrateCommand();
const seedCommand = async () => (await import('./seed.command.js')).seedCommand();
const doctorCommand = async () => (await import('./doctor.command.js')).doctorCommand();

export function buildCli(): Command {
  const program = new Command('agenthub')
    .description('AgentHub: self-hosted hub for fleets of agents.')
    .showHelpAfterError()
    .exitOverride();
  program
    .command('serve', { isDefault: true })
    .description('Run the server (migrates first unless MIGRATE_ON_START=false).')
    .action(serveCommand);
  program.command('migrate').description('Apply pending database migrations and exit.').action(migrateCommand);
  program.command('seed').description('Create a demo admin, 3 agents and 2 rooms (idempotent).').action(seedCommand);
  program
    .command('doctor')
    .description('Check configuration, files, database, migrations, clock and Redis, and say what to fix.')
    .action(doctorCommand);
  program.addCommand(usersCommand());
  program.addCommand(alertsCommand());
  program.addCommand(agentCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    if (error instanceof CommanderError) process.exit(error.exitCode); // --help, usage errors: already printed
    console.error(error instanceof Error ? error.message : error);
    // Commands may choose their exit code (`agenthub agent` uses 3 for rejected credentials, 78 for configuration).
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    process.exit(typeof exitCode === 'number' ? exitCode : 1);
  }
}

export { loadConfig };

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

// Run when executed directly (`tsx src/cli/main.ts`, i.e. `npm run dev`); bin/agenthub.js imports it instead.
if (isEntryPoint()) await main(process.argv);
