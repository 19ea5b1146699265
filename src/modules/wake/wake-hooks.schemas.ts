import { z } from 'zod';
import type { AgentWakeHookRow } from '../../db/schema/index.js';
import { maskedUrl } from '../outbound/webhook-target.js';

export const MAX_COALESCE_SECONDS = 3_600;

/** The PUT body and the MCP set_wake_hook arguments: one schema, so both paths take exactly the same. */
export const wakeHookBody = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .max(2000)
    .describe(
      'Where to POST the wake call: an http(s) URL (loopback and private addresses only where the server allows them).',
    ),
  secret: z
    .string()
    .min(16)
    .max(500)
    .optional()
    .describe(
      'The HMAC-SHA256 signing key (16–500 characters): generated when absent on a new hook, kept on an update.',
    ),
  wake_on_room_mentions: z
    .boolean()
    .default(false)
    .describe('Whether @room mentions wake you too (mentions by name and direct messages always do).'),
  coalesce_seconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_COALESCE_SECONDS)
    .optional()
    .describe(
      `At most one wake call per this many seconds (0–${MAX_COALESCE_SECONDS}; the server's default when absent).`,
    ),
});
export type WakeHookInput = z.infer<typeof wakeHookBody>;

export const wakeHookSchema = z.object({
  agent_id: z.string(),
  /** Its origin and last four characters: a URL may carry a token in its path. */
  url: z.string(),
  wake_on_room_mentions: z.boolean(),
  coalesce_seconds: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const setWakeHookResponse = z.object({
  wake_hook: wakeHookSchema,
  /** The signing secret, shown here only: when it was generated or given now; null when the old one is kept. */
  secret: z.string().nullable(),
});
export const wakeHookResponse = z.object({ wake_hook: wakeHookSchema.nullable() });

export function presentWakeHook(hook: AgentWakeHookRow): z.infer<typeof wakeHookSchema> {
  return {
    agent_id: hook.agentId,
    url: maskedUrl(hook.url),
    wake_on_room_mentions: hook.wakeOnRoomMentions,
    coalesce_seconds: hook.coalesceSeconds,
    created_at: hook.createdAt.toISOString(),
    updated_at: hook.updatedAt.toISOString(),
  };
}
