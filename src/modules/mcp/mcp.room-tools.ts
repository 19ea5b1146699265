import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StoredMessage } from '../../lib/events.js';
import { badRequest } from '../../lib/errors.js';
import { presentMessage, presentRoom } from '../rooms/rooms.schemas.js';
import { guarded } from './mcp.results.js';
import { readMessagesInput, sendMessageInput, waitForMessagesInput } from './mcp.schemas.js';
import type { ToolContext } from './mcp.tool-context.js';

const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

/** list_rooms, read_messages, send_message, wait_for_messages: the rooms service, as the calling agent. */
export function registerRoomTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor, waits } = context;
  const { rooms } = ctx.services;

  /** The room (404 unless the agent may read it) and its members' names, for sender_name. */
  async function open(ref: string) {
    const { room, members } = await rooms.get(ref, actor);
    const names = new Map(members.map((m) => [m.agentId, m.displayName ?? m.name]));
    const present = (m: StoredMessage) => ({
      ...presentMessage(m),
      sender_name: m.senderAgentId ? (names.get(m.senderAgentId) ?? null) : null,
    });
    return { room, present };
  }

  server.registerTool(
    'list_rooms',
    {
      title: 'List rooms',
      description:
        'Lists the rooms you can read: the rooms you are a member of (an admin agent sees every room of its owner and team). ' +
        'Each room has its id, slug, name, last_seq (the seq of its newest message; 0 when empty), whether you are a member ' +
        '(only members can post) and whether it is archived (no more messages).',
      inputSchema: {},
      annotations: READ_ONLY,
    },
    guarded('list_rooms', context, async () => {
      const [{ rooms: visible }, joined] = await Promise.all([rooms.list(actor), rooms.roomsOfAgent(actor.agent.id)]);
      const memberOf = new Set(joined.map((r) => r.id));
      return {
        rooms: visible.map((r) => {
          const { owner_id: _owner, ...room } = presentRoom(r);
          return { ...room, archived: r.archivedAt !== null, is_member: memberOf.has(r.id) };
        }),
      };
    }),
  );

  server.registerTool(
    'read_messages',
    {
      title: 'Read messages',
      description:
        "Reads a room's messages. With since_seq: the messages after that seq, oldest first — the way to catch up " +
        '(has_more says whether to read again from the last seq). Without it: the newest messages, newest first; ' +
        'pass next_cursor back as cursor to page further into the past. With thread: one thread (the message with ' +
        'that seq and its replies), oldest first. Each message lists the agents it mentions, its reply_to_seq and, ' +
        'for a parent, reply_count and last_reply_at.',
      inputSchema: readMessagesInput,
      annotations: READ_ONLY,
    },
    guarded('read_messages', context, async (args) => {
      if (args.since_seq !== undefined && args.cursor !== undefined)
        throw badRequest('Give since_seq (read forward) or cursor (page back), not both.');
      if (args.thread !== undefined && args.cursor !== undefined)
        throw badRequest('A thread reads forward: give since_seq, not cursor.');
      const { room, present } = await open(args.room);
      if (args.thread !== undefined) {
        const thread = await rooms.history(room.id, actor, {
          thread: args.thread,
          afterSeq: args.since_seq,
          limit: args.limit,
        });
        return {
          room: { id: room.id, slug: room.slug, name: room.name, last_seq: room.lastSeq },
          order: 'oldest_first',
          thread: args.thread,
          messages: thread.messages.map(present),
          has_more: thread.nextCursor !== null,
        };
      }
      const page = await rooms.history(room.id, actor, {
        afterSeq: args.since_seq,
        cursor: args.cursor === undefined ? undefined : Number(args.cursor),
        limit: args.limit,
      });
      const last = page.messages.at(-1);
      return {
        room: { id: room.id, slug: room.slug, name: room.name, last_seq: room.lastSeq },
        order: page.order === 'asc' ? 'oldest_first' : 'newest_first',
        messages: page.messages.map(present),
        ...(page.order === 'asc'
          ? { has_more: last !== undefined && last.seq < room.lastSeq }
          : { next_cursor: page.nextCursor === null ? null : Number(page.nextCursor) }),
      };
    }),
  );

  server.registerTool(
    'send_message',
    {
      title: 'Send a message',
      description:
        'Posts a message to a room you are a member of. It is stored with the next seq and delivered at once to every ' +
        'member, live (socket.io) and waiting (wait_for_messages). Returns the stored message; its seq is the since_seq ' +
        'to wait for replies with. With client_msg_id, a retry returns the original (duplicate: true) instead of posting twice. ' +
        '@name addresses a member agent (it lands in its inbox, read_inbox), @room every member; naming someone who is ' +
        'not a member is refused (unknown_mention). reply_to_seq answers a message in a thread.',
      inputSchema: sendMessageInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    guarded('send_message', context, async (args) => {
      const room = await rooms.loadToPost(args.room, actor);
      const { message, duplicate } = await rooms.send(actor, {
        roomId: room.id,
        body: args.body,
        clientMsgId: args.client_msg_id,
        replyToSeq: args.reply_to_seq,
      });
      return { message: { ...presentMessage(message), sender_name: actor.agent.name }, duplicate };
    }),
  );

  server.registerTool(
    'wait_for_messages',
    {
      title: 'Wait for messages',
      description:
        'Waits until the room has a message after since_seq, then returns every message after it, oldest first. ' +
        'Answers at once when there already are some; otherwise waits up to timeout_seconds (at most 30) and returns ' +
        'timed_out: true with no messages — then simply call it again. A coordination loop: wait, act on what arrived, ' +
        'send_message, and wait again from the seq of the newest message you have seen (your own included). ' +
        'mentions_only: wake for, and return, only messages addressed to you (@you, @room, direct messages); ' +
        'last_seq is then the newest of those.',
      inputSchema: waitForMessagesInput,
      annotations: READ_ONLY,
    },
    guarded('wait_for_messages', context, async (args, extra) => {
      const { room, present } = await open(args.room);
      let found: StoredMessage[] = [];
      // An archived room takes no more messages: nothing to wait for beyond what is stored.
      const archived = room.archivedAt !== null;
      const outcome = await waits.wait({
        roomId: room.id,
        agentId: actor.agent.id,
        timeoutMs: archived ? 0 : args.timeout_seconds * 1000,
        signal: extra.signal,
        addressedTo: args.mentions_only ? actor.agent.id : undefined,
        check: async () => {
          found = args.mentions_only
            ? await rooms.withMentions(
                await ctx.services.inbox.addressedAfter(room.id, actor.agent.id, args.since_seq, args.limit),
              )
            : (await rooms.history(room.id, actor, { afterSeq: args.since_seq, limit: args.limit })).messages;
          return found.length > 0;
        },
      });
      const last = found.at(-1);
      return {
        room: { id: room.id, slug: room.slug },
        messages: found.map(present),
        timed_out: outcome !== 'found' && !archived,
        ...(archived ? { archived: true, note: 'The room is archived: no more messages will come.' } : {}),
        ...(outcome === 'closing' ? { note: 'The server is shutting down; call again in a moment.' } : {}),
        last_seq: last?.seq ?? args.since_seq,
      };
    }),
  );
}
