import { randomBytes } from 'node:crypto';
import type { WakeHook } from '../../client/index.js';
import { toCliError } from './errors.js';
import { parseIntBetween } from './options.js';
import { openSession } from './session.js';

const describe = (hook: WakeHook) =>
  `${hook.url} (at most one call per ${hook.coalesce_seconds} s; @room mentions wake it: ` +
  `${hook.wake_on_room_mentions ? 'yes' : 'no'})`;

async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw toCliError(error);
  }
}

interface SetFlags {
  roomMentions?: boolean;
  coalesce?: string;
  rotateSecret?: boolean;
  json?: boolean;
}

/**
 * `agenthub agent wake-hook set URL`: the signing secret is printed once, when the hub generates it (a new hook)
 * or `--rotate-secret` makes a new one here; a secret is never taken on the command line, where `ps` shows it.
 */
export function wakeHookSetCommand(url: string, options: SetFlags): Promise<void> {
  const coalesceSeconds =
    options.coalesce === undefined ? undefined : parseIntBetween(options.coalesce, '--coalesce', 0, 3600, 'seconds');
  const { client } = openSession();
  return run(async () => {
    const answer = await client.setWakeHook({
      url,
      wakeOnRoomMentions: options.roomMentions === true,
      ...(coalesceSeconds !== undefined ? { coalesceSeconds } : {}),
      ...(options.rotateSecret ? { secret: `whsec_${randomBytes(24).toString('base64url')}` } : {}),
    });
    if (options.json) {
      console.log(JSON.stringify(answer));
      return;
    }
    console.log(`Wake hook set: ${describe(answer.wake_hook)}.`);
    console.log(
      answer.secret === null
        ? 'Signing secret: unchanged (give --rotate-secret for a new one).'
        : `Signing secret (shown this once; verify X-AgentHub-Signature with it): ${answer.secret}`,
    );
  });
}

export function wakeHookShowCommand(options: { json?: boolean }): Promise<void> {
  const { client } = openSession();
  return run(async () => {
    const { wake_hook: hook } = await client.getWakeHook();
    if (options.json) console.log(JSON.stringify({ wake_hook: hook }));
    else console.log(hook ? `Wake hook: ${describe(hook)}, updated ${hook.updated_at}.` : 'No wake hook is set.');
  });
}

export function wakeHookDeleteCommand(): Promise<void> {
  const { client } = openSession();
  return run(async () => {
    await client.deleteWakeHook();
    console.log('Wake hook removed.');
  });
}
