import type { RecipientReason } from '../../db/schema/index.js';
import type { WebhookRequest } from '../outbound/webhook-post.js';
import { signature } from '../outbound/webhook-post.js';

/** Most messages one wake call lists; `count` says how many it covers, the inbox has them all. */
export const WAKE_LISTED_MESSAGES = 20;
const EXCERPT_CHARS = 200;

export interface WakeMessage {
  id: string;
  room_id: string;
  room_slug: string;
  seq: number;
  reason: RecipientReason;
  sender: { type: 'agent' | 'user'; id: string; name: string } | null;
  created_at: string;
  excerpt: string;
}

/** The body of a wake call (docs/COORDINATION.md). */
export interface WakePayload {
  type: 'wake';
  agent: { id: string; name: string };
  wake_id: string;
  messages: WakeMessage[];
  count: number;
  /** Where the agent reads everything addressed to it. */
  url: string;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The start of a message, whitespace folded: enough to decide whether to wake up, short by design. */
export function excerptOf(body: string): string {
  const folded = body.replace(/\s+/g, ' ').trim();
  if (folded.length <= EXCERPT_CHARS) return folded;
  let excerpt = '';
  for (const { segment } of graphemes.segment(folded)) {
    if (excerpt.length + segment.length > EXCERPT_CHARS) return `${excerpt}…`;
    excerpt += segment;
  }
  return excerpt;
}

/** The signed POST of one wake call; `X-AgentHub-Delivery` is the wake id on every attempt. */
export function wakeRequest(url: string, secret: string, payload: WakePayload): WebhookRequest {
  const body = JSON.stringify(payload);
  return {
    url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'AgentHub-Wake/1',
      'x-agenthub-delivery': payload.wake_id,
      'x-agenthub-event': 'wake',
      'x-agenthub-signature': signature(secret, body),
    },
  };
}
