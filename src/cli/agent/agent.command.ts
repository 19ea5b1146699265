import { Command } from 'commander';
import { linkCommand } from './link.command.js';
import { collect } from './options.js';
import { listenCommand, sendCommand } from './rooms.command.js';
import { runCommand } from './run.command.js';
import { statusCommand } from './status.command.js';
import { unlinkCommand } from './unlink.command.js';

const FILES =
  '\nFiles live in $AGENTHUB_CONFIG_DIR (default ~/.config/agenthub): config.yaml, tokens/ (0700, files 0600), ' +
  'state.json, spool/.\nExit codes: 1 failure, 3 credentials rejected (agent deactivated, revoked or unlinked), ' +
  '78 configuration (not linked, token files readable by others).';

/** `agenthub agent ...`: the monitoring agent (link, run, status, rooms, unlink). */
export function agentCommand(): Command {
  const agent = new Command('agent')
    .description('Run this machine as an AgentHub agent: link it, send system metrics, talk in rooms.')
    .addHelpText('after', FILES);
  agent
    .command('link')
    .description(
      'Link this machine with the device flow: prints a code for a person to approve, then keeps the credentials.',
    )
    .requiredOption('--server <url>', 'AgentHub base URL, e.g. https://hub.example.net')
    .requiredOption('--server-id <id>', "this machine's server_id (unique among your agents, 3+ characters)")
    .option('--name <name>', 'device name shown on the approval page (default: the hostname)')
    .option('--interval <seconds>', 'seconds between metric snapshots for `run`', '10')
    .option('--label <key=value>', 'a label sent with every snapshot (repeatable)', collect, [])
    .option('--force', 'replace existing local credentials without revoking them')
    .action(linkCommand);
  agent
    .command('run')
    .description('Collect system metrics every interval and send them; spool them while the server is away.')
    .option('--once', 'send one snapshot and exit')
    .option('--ticks <n>', 'stop after n snapshots (prints a JSON summary line either way)')
    .option('--interval <seconds>', 'override the interval from config.yaml')
    .option('--spool-max <n>', 'most snapshots kept while the server is away (oldest dropped first)')
    .option('--verbose', 'one line per tick')
    .action(runCommand);
  agent
    .command('status')
    .description('Show who the server says this agent is, the last successful send, the spool and the token expiry.')
    .option('--json', 'one JSON object instead of text')
    .action(statusCommand);
  agent
    .command('send')
    .description('Post a message to a room the agent is a member of.')
    .requiredOption('--room <room>', 'room uuid or slug')
    .argument('<text...>', 'the message')
    .action(sendCommand);
  agent
    .command('listen')
    .description('Print messages of a room as they arrive, one JSON line each, until Ctrl-C.')
    .requiredOption('--room <room>', 'room uuid or slug')
    .action(listenCommand);
  agent
    .command('unlink')
    .description("Revoke this agent's refresh token on the server and delete the local credentials.")
    .option('--force', 'delete the local files even if the server cannot be reached, or while `run` is running')
    .action(unlinkCommand);
  return agent;
}
