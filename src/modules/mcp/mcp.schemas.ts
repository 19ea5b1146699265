import { z } from 'zod';
import { clientMsgId, messageBody } from '../rooms/rooms.schemas.js';

/** Tool inputs. The SDK turns these into each tool's JSON Schema; descriptions are what a model reads. */

export const MAX_WAIT_SECONDS = 30;

const room = z.string().min(1).max(64).describe('The room: its id (uuid) or its slug, as list_rooms shows them.');
const seq = z.number().int().min(0);
const limit = (max: number, fallback: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`How many messages at most (1–${max}, default ${fallback}).`);

export const readMessagesInput = {
  room,
  since_seq: seq
    .optional()
    .describe('Return the messages after this seq, oldest first (catch up from the last seq you have seen).'),
  cursor: z
    .union([z.number().int().min(1), z.string().regex(/^\d{1,15}$/, 'a cursor is a number')])
    .optional()
    .describe('Page further back: the next_cursor of a previous newest-first read.'),
  thread: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'Read one thread: the message with this seq and its replies, oldest first (since_seq continues after a seq).',
    ),
  limit: limit(200, 50),
};

const replyTo = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe("Reply in a thread: the seq of the message you answer (of the same room); it counts the room's replies.");
const clientId = clientMsgId
  .optional()
  .describe('Your own id for this message, so a retry after a lost answer does not post it twice.');

export const sendMessageInput = {
  room,
  body: messageBody.describe('The message text. @name addresses a member agent (its inbox), @room every member.'),
  client_msg_id: clientId,
  reply_to_seq: replyTo,
};

export const sendDirectMessageInput = {
  agent: z
    .string()
    .min(1)
    .max(64)
    .describe('The agent to write to: its id, or its name as list_agents shows it (an agent of your owner or team).'),
  body: messageBody.describe('The message text.'),
  client_msg_id: clientId,
  reply_to_seq: replyTo,
};

export const readInboxInput = {
  room: room.optional().describe('Only what is addressed to you in this room.'),
  cursor: z.string().max(200).optional().describe('The next_cursor of a previous read_inbox, to read further.'),
  limit: limit(200, 50),
};

export const ackInboxInput = {
  message_ids: z
    .array(z.uuid())
    .min(1)
    .max(500)
    .describe('The ids of inbox messages you have dealt with (read_inbox lists them); they leave your inbox.'),
};

export const waitForMessagesInput = {
  room,
  since_seq: seq.describe(
    'Wait for a message after this seq: the last seq you have seen (after sending, the seq of your own message).',
  ),
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_WAIT_SECONDS)
    .default(25)
    .describe(`How long to wait, in seconds (1–${MAX_WAIT_SECONDS}, default 25).`),
  mentions_only: z
    .boolean()
    .default(false)
    .describe(
      'Wake only for messages addressed to you (an @mention of you, @room, or a direct message), and return only those.',
    ),
  limit: limit(200, 50),
};

export const listAgentsInput = {
  include_inactive: z.boolean().default(false).describe('Also list agents that were deactivated, revoked or replaced.'),
};

const time = z
  .union([z.number(), z.string().max(40)])
  .optional()
  .describe('ISO 8601 (2025-01-31T12:00:00Z), unix seconds, or relative to now: -15m, -2h, -7d.');

export const getMetricsInput = {
  server_id: z.string().min(1).max(255).describe('The server_id of an agent of your owner or team (list_agents).'),
  path: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/, 'a dotted path such as cpu.usage')
    .optional()
    .describe(
      'A numeric metric path such as cpu.usage: returns it averaged into time buckets. Without it, the latest raw snapshots.',
    ),
  from: time,
  to: time,
  step: z.number().int().min(1).max(86_400).default(60).describe('Bucket width in seconds for a path (default 60).'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(5)
    .describe('Snapshots at most, newest first, when no path is given (1–100, default 5).'),
};

const RELATIVE = /^-(\d{1,6})([smhd])$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A time argument as a Date; undefined when it is not one. */
export function parseTime(value: number | string, now = Date.now()): Date | undefined {
  let date: Date;
  const relative = typeof value === 'string' ? RELATIVE.exec(value.trim()) : null;
  if (typeof value === 'number') date = new Date(value * 1000);
  else if (relative)
    date = new Date(now - Number(relative[1]) * UNIT_SECONDS[relative[2] as keyof typeof UNIT_SECONDS] * 1000);
  else if (/^\d+(\.\d+)?$/.test(value.trim())) date = new Date(Number(value) * 1000);
  else date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
