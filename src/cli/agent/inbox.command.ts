import type { InboxItem } from '../../client/index.js';
import { toCliError } from './errors.js';
import { parseIntBetween } from './options.js';
import { openSession } from './session.js';

function describe(item: InboxItem): string {
  const { message, room, reason } = item;
  const sender = message.sender_type ? `${message.sender_type} ${message.sender_id ?? ''}` : 'nobody';
  const body = message.body.replace(/\n/g, '\n  ');
  return `${room.slug}#${message.seq} ${reason} from ${sender} at ${message.created_at}\n  ${body}`;
}

/**
 * `agenthub agent inbox [--ack] [--json]`: what is addressed to this agent, oldest first. `--ack` acknowledges
 * the items once they are printed, so a run that dies in between leaves them in the inbox, never loses them.
 */
export async function inboxCommand(options: { limit: string; ack?: boolean; json?: boolean }): Promise<void> {
  const limit = parseIntBetween(options.limit, '--limit', 1, 200);
  const { client } = openSession();
  try {
    const page = await client.inbox({ limit });
    if (options.json) console.log(JSON.stringify(page));
    else {
      for (const item of page.items) console.log(describe(item));
      console.log(
        page.items.length === 0 ? 'Nothing is waiting.' : `${page.items.length} of ${page.pending} waiting shown.`,
      );
    }
    if (!options.ack || page.items.length === 0) return;
    const { acknowledged } = await client.ackInbox(page.items.map((item) => item.message.id));
    if (!options.json) console.log(`Acknowledged ${acknowledged.length}.`);
  } catch (error) {
    throw toCliError(error);
  }
}
