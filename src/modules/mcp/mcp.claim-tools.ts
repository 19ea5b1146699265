import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { claimMode, note, presentClaim, resource, ttlSeconds } from '../claims/claims.schemas.js';
import { guarded } from './mcp.results.js';
import type { ToolContext } from './mcp.tool-context.js';

const room = z.string().min(1).max(64).describe('The room: its id (uuid) or its slug, as list_rooms shows them.');
const claimId = z.uuid().describe('The id of the claim, as claim or list_claims returned it.');
const ttl = ttlSeconds.describe('How long the claim lasts, in seconds (1–86400); renew it before then to keep it.');

const claimInput = {
  room,
  resource: resource.describe(
    'What you claim, as kind:name — task:1234, file:src/app.ts, or a glob of paths such as file:src/**/*.ts ' +
      '(* within a directory, ** across directories, ? one character).',
  ),
  mode: claimMode
    .default('exclusive')
    .describe('exclusive (default): nobody else may claim an overlapping resource; shared: others may share it.'),
  ttl_seconds: ttl,
  note: note.optional().describe('What you are doing with it, shown to the room.'),
};

/** claim, renew_claim, release, list_claims: the claims service, as the calling agent. */
export function registerClaimTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor } = context;
  const { claims } = ctx.services;

  server.registerTool(
    'claim',
    {
      title: 'Claim a resource',
      description:
        'Claims a resource of a room you are a member of, so that no other agent works on it meanwhile. ' +
        'Returns claimed: true and the claim (keep its id to renew or release it), or claimed: false with ' +
        'conflicts: who holds an overlapping resource and until when — then work on something else, or wait ' +
        'and try again after that time. The room hears about every claim. Your own claims count too: renew ' +
        'instead of claiming again.',
      inputSchema: claimInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    guarded('claim', context, async (args) => {
      try {
        const { claim } = await claims.claim(actor, args.room, {
          resource: args.resource,
          mode: args.mode,
          ttlSeconds: args.ttl_seconds,
          note: args.note,
        });
        return { claimed: true, claim: presentClaim(claim) };
      } catch (error) {
        // Someone else holding it is an answer, not a failure.
        if (!(error instanceof AppError) || error.code !== 'claim_conflict') throw error;
        return { claimed: false, message: error.message, conflicts: error.fields['conflicts'] };
      }
    }),
  );

  server.registerTool(
    'renew_claim',
    {
      title: 'Renew a claim',
      description:
        'Keeps a claim of yours: it now expires ttl_seconds from now. Fails with claim_ended once it has expired ' +
        'or was released (claim again then: someone else may have taken it).',
      inputSchema: { room, claim_id: claimId, ttl_seconds: ttl },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded('renew_claim', context, async (args) => {
      const { claim } = await claims.renew(actor, args.room, args.claim_id, args.ttl_seconds);
      return { claim: presentClaim(claim) };
    }),
  );

  server.registerTool(
    'release',
    {
      title: 'Release a claim',
      description:
        'Releases a claim as soon as you are done, so others may take the resource (the room hears it). ' +
        'released: false means it had already expired or been released.',
      inputSchema: { room, claim_id: claimId },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded('release', context, async (args) => {
      const { claim, released } = await claims.release(actor, args.room, args.claim_id);
      return { released, claim: presentClaim(claim) };
    }),
  );

  server.registerTool(
    'list_claims',
    {
      title: 'List claims',
      description:
        "Lists a room's live claims, oldest first: resource, mode, holder (agent or person, with id and name), " +
        'note and expires_at, with server_time to tell how long each has left. Look here before claiming.',
      inputSchema: { room },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('list_claims', context, async (args) => {
      const { room: found, claims: live } = await claims.list(actor, args.room);
      return {
        room: { id: found.id, slug: found.slug },
        claims: live.map(presentClaim),
        server_time: new Date().toISOString(),
      };
    }),
  );
}
