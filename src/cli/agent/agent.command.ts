import { Command } from 'commander';
import { claimCommand, releaseCommand } from './claims.command.js';
import { inboxCommand } from './inbox.command.js';
import { linkCommand } from './link.command.js';
import { collect } from './options.js';
import { dmCommand, listenCommand, sendCommand } from './rooms.command.js';
import { runCommand } from './run.command.js';
import { statusCommand } from './status.command.js';
import { unlinkCommand } from './unlink.command.js';
import { wakeHookDeleteCommand, wakeHookSetCommand, wakeHookShowCommand } from './wake-hook.command.js';

const FILES =
  '\nFiles live in $AGENTHUB_CONFIG_DIR (default ~/.config/agenthub): config.yaml, tokens/ (0700, files 0600), ' +
  'state.json, spool/.\nExit codes: 1 failure, 3 credentials rejected (agent deactivated, revoked or unlinked), ' +
  '4 claim refused (the resource is held), 78 configuration (not linked, token files readable by others).';

/** `agenthub agent ...`: the monitoring agent (link, run, status, rooms, coordination, unlink). */
export function agentCommand(): Command {
  const agent = new Command('agent')
    .description(
      'Run this machine as an AgentHub agent: link it, send system metrics, talk in rooms, work with other agents.',
    )
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
    .option('--reply-to <seq>', 'reply in the thread of this message seq of the room')
    .argument('<text...>', 'the message')
    .action(sendCommand);
  agent
    .command('listen')
    .description('Print messages of a room as they arrive, one JSON line each, until Ctrl-C.')
    .requiredOption('--room <room>', 'room uuid or slug')
    .action(listenCommand);
  coordinationCommands(agent);
  agent
    .command('unlink')
    .description("Revoke this agent's refresh token on the server and delete the local credentials.")
    .option('--force', 'delete the local files even if the server cannot be reached, or while `run` is running')
    .action(unlinkCommand);
  return agent;
}

/** Working with other agents (docs/COORDINATION.md): the inbox, direct messages, claims, the wake hook. */
function coordinationCommands(agent: Command): void {
  agent
    .command('inbox')
    .description('List what is addressed to this agent (mentions, @room, direct messages) and not acknowledged.')
    .option('--limit <n>', 'at most this many items, oldest first (1-200)', '50')
    .option('--ack', 'acknowledge the items printed, once they are printed')
    .option('--json', 'the inbox page as one JSON object ({items, next_cursor, pending})')
    .action(inboxCommand);
  agent
    .command('dm')
    .description('Send a direct message to an agent (into your private room with it); prints it as JSON.')
    .argument('<agent_id>', "the recipient agent's id")
    .argument('<text...>', 'the message')
    .option('--reply-to <seq>', 'reply in the thread of this message seq of your direct room')
    .action(dmCommand);
  agent
    .command('claim')
    .description('Claim a resource of a room for a while, so that no other agent takes it; exits 4 when it is held.')
    .argument('<room>', 'room uuid or slug')
    .argument('<resource>', 'kind:name, e.g. task:1234 or file:src/**/*.ts')
    .option('--ttl <seconds>', 'how long the claim holds unless renewed (1-86400)', '600')
    .option('--shared', 'a shared claim (conflicts only with exclusive ones)')
    .option('--note <text>', 'what you are doing, shown with the claim')
    .option('--json', '{claimed, claim} or {claimed: false, message, conflicts} as one JSON object')
    .action(claimCommand);
  agent
    .command('release')
    .description('Release a claim (one already ended stays ended).')
    .argument('<room>', 'room uuid or slug')
    .argument('<claim_id>', 'the claim id `claim` printed')
    .action(releaseCommand);
  const wakeHook = agent
    .command('wake-hook')
    .description("Set, show or delete this agent's wake hook: a URL the hub calls when a message waits for it.");
  wakeHook
    .command('set')
    .description('Set the wake hook; its signing secret is printed once, when the hook is new or with --rotate-secret.')
    .argument('<url>', 'the http(s) URL to call')
    .option('--room-mentions', '@room mentions wake the agent too')
    .option('--coalesce <seconds>', "at most one call per this many seconds (0-3600; default: the hub's)")
    .option('--rotate-secret', 'replace the signing secret with a new one (printed once)')
    .option('--json', 'the answer as one JSON object ({wake_hook, secret})')
    .action(wakeHookSetCommand);
  wakeHook
    .command('show')
    .description('Show the wake hook (never its secret).')
    .option('--json', '{wake_hook} as one JSON object')
    .action(wakeHookShowCommand);
  wakeHook.command('delete').description('Remove the wake hook.').action(wakeHookDeleteCommand);
}
