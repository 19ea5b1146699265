import type { AgentHubClient, TokenSet } from '../../src/client/index.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import type { TestApp } from './app.js';
import { uniqueEmail } from './identity.js';

/** One HTTP exchange the SDK made, as seen on the wire. */
export interface Exchange {
  method: string;
  path: string;
  requestHeaders: Headers;
  status: number;
  responseHeaders: Headers;
  /** When the request was sent (ms since epoch). */
  sentAt: number;
}

/**
 * A fetch that forwards to the real one and records every exchange, so tests
 * see what the SDK actually sent (retries, renewals, compression). `onResponse`
 * may act between exchanges, e.g. bring a database back after the first 503.
 */
export function recordingFetch(onResponse?: (exchange: Exchange) => void | Promise<void>): {
  fetch: typeof fetch;
  exchanges: Exchange[];
} {
  const exchanges: Exchange[] = [];
  const recorder: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const sentAt = Date.now();
    const response = await fetch(input, init);
    const exchange: Exchange = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      requestHeaders: new Headers(init?.headers),
      status: response.status,
      responseHeaders: response.headers,
      sentAt,
    };
    exchanges.push(exchange);
    await onResponse?.(exchange);
    return response;
  };
  return { fetch: recorder, exchanges };
}

/** Approves a device code as `owner` through the devices service (what the /link page does). */
export async function approve(t: TestApp, owner: UserActor, userCode: string): Promise<string> {
  const { agent } = await t.ctx.services.devices.approve({ userCode }, owner, '127.0.0.1');
  return agent.id;
}

/** A person, as services see them after sign-in, who approves devices and owns rooms. */
export async function createOwner(t: TestApp, role: 'user' | 'admin' = 'user'): Promise<UserActor> {
  const { user } = await t.ctx.services.users.create({
    email: uniqueEmail('owner'),
    name: 'Owner',
    role,
    plan: 'enterprise',
  });
  return {
    kind: 'user',
    user: { id: user.id, email: user.email, name: user.name, role, plan: 'enterprise' },
    sessionId: 'test-session',
    teams: new Map(),
  };
}

/** Polls `check` until it returns a truthy value (generous timeout: the machine is shared). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Links `client` through the device flow, approving the code as `owner` as soon as it is shown. */
export async function linkClient(
  t: TestApp,
  owner: UserActor,
  client: AgentHubClient,
  options: { serverId: string; fingerprint?: string },
): Promise<{ tokens: TokenSet; agentId: string }> {
  let approval: Promise<string> | undefined;
  const tokens = await client.link({
    serverId: options.serverId,
    ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}),
    onCode: (a) => {
      approval = approve(t, owner, a.userCode);
    },
  });
  // The tokens can arrive before approve() has finished its bookkeeping: wait for it too.
  return { tokens, agentId: await (approval ?? Promise.reject(new Error('no code was shown'))) };
}
