import { AgentHubError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 30_000 };

export interface RequestOptions {
  method?: string;
  path: string;
  json?: unknown;
  form?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Body bytes sent as-is (e.g. gzip), with their content headers in `headers`. */
  raw?: Uint8Array;
  retry?: RetryPolicy | false;
  signal?: AbortSignal;
}

export type FetchLike = typeof fetch;

/** How long one attempt may take, answer and body included, unless the client says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * `fetchImpl` with every call bounded by `timeoutMs`; the caller's own signal still aborts it. A server that
 * accepts the connection and never answers (or stalls mid-body) then fails the attempt as `timeout`, which is
 * retried like a network error, instead of holding the agent for undici's five-minute default.
 */
export function withTimeout(fetchImpl: FetchLike, timeoutMs: number): FetchLike {
  return (input, init = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return fetchImpl(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

/**
 * Resolves after `ms`, or rejects as soon as `signal` aborts (at once if it
 * already has). Leaves no listener behind: a long-lived signal, such as an
 * agent's shutdown signal, sees thousands of these.
 */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const abortReason = () => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal?.aborted) {
      reject(abortReason());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Full-jitter exponential backoff (AWS style), never shorter than the server's Retry-After. */
export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterSeconds?: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.random() * exponential;
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

/** One JSON request to AgentHub; retries 429/503/network errors when a policy is given. */
// T is the caller's statement of the wire contract for this endpoint (API.md), not inferred.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export async function request<T>(
  baseUrl: string,
  fetchImpl: FetchLike,
  options: RequestOptions,
): Promise<{ status: number; body: T }> {
  const policy =
    options.retry === false ? { ...DEFAULT_RETRY, attempts: 1 } : (options.retry ?? { ...DEFAULT_RETRY, attempts: 1 });
  for (let attempt = 0; ; attempt++) {
    let error: AgentHubError;
    let retryAfter: number | undefined;
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      let body: RequestInit['body'];
      if (options.raw) body = options.raw;
      else if (options.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(
          Object.entries(options.form).filter((e): e is [string, string] => e[1] !== undefined),
        ).toString();
      } else if (options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.json);
      }
      const res = await fetchImpl(baseUrl + options.path, {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers,
        body,
        signal: options.signal ?? null,
      });
      const text = await res.text();
      const parsed = (text ? safeJson(text) : {}) as Record<string, unknown>;
      if (res.ok) return { status: res.status, body: parsed as T };
      const code = typeof parsed['error'] === 'string' ? parsed['error'] : `http_${res.status}`;
      const message =
        typeof parsed['message'] === 'string'
          ? parsed['message']
          : typeof parsed['error_description'] === 'string'
            ? parsed['error_description']
            : res.statusText;
      error = new AgentHubError(res.status, code, message, parsed);
      const header = Number(res.headers.get('retry-after'));
      retryAfter = Number.isFinite(header) && header > 0 ? header : undefined;
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      error =
        cause instanceof Error && cause.name === 'TimeoutError'
          ? new AgentHubError(0, 'timeout', 'AgentHub did not answer in time.')
          : new AgentHubError(0, 'network_error', networkMessage(cause));
    }
    if (!error.retryable || attempt + 1 >= policy.attempts) throw error;
    await sleep(backoffDelay(attempt, policy, retryAfter), options.signal);
  }
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is in its cause. */
function networkMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return cause ? `${error.message}: ${cause.message}` : error.message;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: 'invalid_response', message: text.slice(0, 200) };
  }
}
