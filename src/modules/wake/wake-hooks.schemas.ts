import { z } from 'zod';
import type { AgentWakeHookRow } from '../../db/schema/index.js';
import { maskedUrl } from '../outbound/webhook-target.js';

export const MAX_COALESCE_SECONDS = 3_600;

export const wakeHookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000),
  /** The HMAC key; generated when absent on a new hook, kept when absent on an existing one. */
  secret: z.string().min(16).max(500).optional(),
  /** `@room` mentions wake this agent too (mentions by name and direct messages always do). */
  wake_on_room_mentions: z.boolean().default(false),
  /** At most one wake call per this many seconds; the server's WAKE_COALESCE_SECONDS when absent. */
  coalesce_seconds: z.number().int().min(0).max(MAX_COALESCE_SECONDS).optional(),
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
