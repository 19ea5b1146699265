import { ClaimConflictError } from '../../client/index.js';
import { AgentCliError, EXIT, toCliError } from './errors.js';
import { parseIntBetween } from './options.js';
import { openSession } from './session.js';

interface ClaimFlags {
  ttl: string;
  shared?: boolean;
  note?: string;
  json?: boolean;
}

/**
 * `agenthub agent claim ROOM RESOURCE [--ttl 600] [--shared]`: claims over REST. A resource someone holds exits 4
 * with who holds it until when (`--json`: `{claimed: false, message, conflicts}` on stdout, as MCP answers).
 */
export async function claimCommand(room: string, resource: string, options: ClaimFlags): Promise<void> {
  const ttlSeconds = parseIntBetween(options.ttl, '--ttl', 1, 86_400, 'seconds');
  const { client } = openSession();
  try {
    const { claim } = await client.claim(room, {
      resource,
      ttlSeconds,
      mode: options.shared ? 'shared' : 'exclusive',
      ...(options.note !== undefined ? { note: options.note } : {}),
    });
    if (options.json) console.log(JSON.stringify({ claimed: true, claim }));
    else {
      console.log(`Claimed ${claim.resource} (${claim.mode}) in ${room} until ${claim.expires_at}.`);
      console.log(`Claim id: ${claim.id} (release it with: agenthub agent release ${room} ${claim.id})`);
    }
  } catch (error) {
    if (!(error instanceof ClaimConflictError)) throw toCliError(error);
    if (options.json)
      console.log(JSON.stringify({ claimed: false, message: error.message, conflicts: error.conflicts }));
    throw new AgentCliError(`Not claimed: ${error.message}`, EXIT.claimHeld);
  }
}

/** `agenthub agent release ROOM CLAIM_ID`: ends the claim; one already ended stays ended (no error). */
export async function releaseCommand(room: string, claimId: string): Promise<void> {
  const { client } = openSession();
  try {
    await client.releaseClaim(room, claimId);
    console.log(`Released claim ${claimId}.`);
  } catch (error) {
    throw toCliError(error);
  }
}
