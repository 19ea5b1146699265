import { createHmac } from 'node:crypto';
import { refusedTarget } from './webhook-target.js';

/** What one attempt came to; `final` means retrying cannot help (the target is refused). */
export type DeliveryOutcome = { ok: true } | { ok: false; error: string; retryAfterMs?: number; final?: boolean };

export interface WebhookRequest {
  url: string;
  /** The raw body, sent and signed byte for byte. */
  body: string;
  headers: Record<string, string>;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** `X-AgentHub-Signature`: HMAC-SHA256 of the raw body under the shared secret, hex. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Reads at most a bounded prefix of a response, so a huge answer costs nothing. */
async function drain(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    while (read < MAX_RESPONSE_BYTES) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += (chunk.value as Uint8Array).byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * One POST to a webhook: the target passes the SSRF guard first (checked again at every attempt, since a
 * name may resolve elsewhere now), redirects are never followed, the whole attempt (answer included) is
 * bounded by `timeoutMs`, and at most 64 KiB of the answer is read.
 */
export async function postWebhook(
  request: WebhookRequest,
  { timeoutMs, allowPrivate }: { timeoutMs: number; allowPrivate: boolean },
): Promise<DeliveryOutcome> {
  const refused = await refusedTarget(request.url, allowPrivate);
  if (refused) return { ok: false, error: `target refused: ${refused}`, final: true };
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    const name = (error as Error).name;
    return { ok: false, error: name === 'TimeoutError' ? 'timed out' : `network error: ${(error as Error).message}` };
  }
  await drain(response).catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { ok: true };
  if (response.status >= 300 && response.status < 400)
    return { ok: false, error: `redirect ${response.status} not followed` };
  const after = retryAfterMs(response.headers.get('retry-after'));
  return { ok: false, error: `HTTP ${response.status}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
}
