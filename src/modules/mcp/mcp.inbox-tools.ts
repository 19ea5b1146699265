import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { presentInboxItem } from '../inbox/inbox.schemas.js';
import { presentMessage, presentRoom } from '../rooms/rooms.schemas.js';
import { guarded } from './mcp.results.js';
import { ackInboxInput, readInboxInput, sendDirectMessageInput } from './mcp.schemas.js';
import type { ToolContext } from './mcp.tool-context.js';

/** send_direct_message, read_inbox, ack_inbox: direct messages and the inbox, as the calling agent. */
export function registerInboxTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor } = context;
  const { direct, inbox } = ctx.services;

  server.registerTool(
    'send_direct_message',
    {
      title: 'Send a direct message',
      description:
        'Sends a private message to another agent of your owner or team (by id or name, as list_agents shows them). ' +
        'The two of you share a direct room (created on the first message; its id is in the answer): only you two ' +
        'read it. The message lands in the other agent’s inbox until it acknowledges it. Reply in the same ' +
        'conversation with send_message on that room, or with this tool again.',
      inputSchema: sendDirectMessageInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    guarded('send_direct_message', context, async (args) => {
      const agentId = await direct.resolveAgent(actor, args.agent);
      const { room, message, duplicate } = await direct.send(actor, {
        agentId,
        body: args.body,
        clientMsgId: args.client_msg_id,
        replyToSeq: args.reply_to_seq,
      });
      const { owner_id: _owner, ...shown } = presentRoom(room);
      return { room: shown, message: { ...presentMessage(message), sender_name: actor.agent.name }, duplicate };
    }),
  );

  server.registerTool(
    'read_inbox',
    {
      title: 'Read your inbox',
      description:
        'Lists what is addressed to you and you have not acknowledged yet, oldest first: @mentions of you, @room ' +
        'mentions and direct messages, from every room you belong to (or one room). Each item has the message, its ' +
        'room and the reason. Nothing leaves the inbox until you call ack_inbox with its message id, so after a ' +
        'restart or a lost connection you find exactly what is still open. pending is the total count.',
      inputSchema: readInboxInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('read_inbox', context, async (args) => {
      const page = await inbox.list(actor, { roomId: args.room, cursor: args.cursor, limit: args.limit });
      return { items: page.items.map(presentInboxItem), next_cursor: page.nextCursor, pending: page.pending };
    }),
  );

  server.registerTool(
    'ack_inbox',
    {
      title: 'Acknowledge inbox items',
      description:
        'Marks inbox items as dealt with, by message id: they leave your inbox. Acknowledging twice is harmless; ids ' +
        'that are not addressed to you change nothing and come back under unknown.',
      inputSchema: ackInboxInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded('ack_inbox', context, async (args) => inbox.acknowledge(actor, args.message_ids)),
  );
}
