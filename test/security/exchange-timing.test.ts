import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { credentials } from '../../src/db/schema/index.js';
import { hashSecret, randomToken, verifySecret } from '../../src/lib/crypto.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { bearer, createAgentWithToken, issueToken, signInAdmin, type Person } from '../harness/identity.js';

// Counts argon2 verifications, so each timed request is known to have taken the path it was meant to.
vi.mock('../../src/lib/crypto.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/lib/crypto.js')>();
  return { ...original, verifySecret: vi.fn(original.verifySecret) };
});

/**
 * ADR 0006: an unknown API-token prefix answers at once without hashing (the
 * documented fast path: prefixes are public); a known prefix pays one argon2id
 * verification whatever the state of its token, because the secret is verified
 * before the row's revocation, expiry and agent status are looked at. So timing
 * tells a caller whether a prefix exists, never whether its token is usable.
 * Only the exact token, once verified and while still usable, is remembered
 * (its holder already knows it is valid: it gets 200).
 *
 * Speed is measured in benchmarks, not here. This is a behaviour test of
 * relative costs: which requests pay an argon2 verification and which do not.
 * Checking revocation before the hash would make revoked tokens cost a
 * fast-path answer, and that is what the timing assertions catch. The bounds
 * are in units of one verification timed in the same shuffled run, with
 * medians, so a slow or busy machine scales both sides of every comparison.
 */
const SAMPLES = 15;
/** The per-prefix failure limit is 10 per 15 minutes; each token stays below it. */
const FAILURES_PER_TOKEN = 8;

type Kind =
  | 'correct'
  | 'active, wrong secret'
  | 'revoked, wrong secret'
  | 'expired, wrong secret'
  | 'deactivated agent, wrong secret'
  | 'unknown prefix'
  | 'malformed';
const HASHED: Kind[] = [
  'correct',
  'active, wrong secret',
  'revoked, wrong secret',
  'expired, wrong secret',
  'deactivated agent, wrong secret',
];
const FAST: Kind[] = ['unknown prefix', 'malformed'];

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomPrefix = () => `agt_${Array.from(randomBytes(6), (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('')}`;
const wrongSecret = (prefix: string) => `${prefix}_${randomToken(32)}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The answer without what differs on every request. */
function answer(res: LightMyRequestResponse) {
  const { request_id: _requestId, ...body } = res.json<Record<string, unknown>>();
  return { status: res.statusCode, body, contentType: res.headers['content-type'] };
}

describe('API-token exchange: what timing and answers reveal', { timeout: 120_000 }, () => {
  let t: TestApp;
  let admin: Person;
  let addressCounter = 0;
  const known = new Set<string>();

  /** POST /api/v1/sessions from an address no other request used, so the per-IP failure limit never trips. */
  function exchange(token: string) {
    addressCounter += 1;
    const address = `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
    return t.app.inject({ method: 'POST', url: '/api/v1/sessions', remoteAddress: address, headers: bearer(token) });
  }

  async function activeTokens(count: number) {
    const first = await createAgentWithToken(t, admin);
    const rest = await Promise.all(Array.from({ length: count - 1 }, () => issueToken(t, admin, first.agent.id)));
    const all = [first, ...rest.map((token) => ({ ...token, agent: first.agent }))];
    for (const token of all) known.add(token.prefix);
    return all;
  }
  async function revokedTokens(count: number) {
    const tokens = await activeTokens(count);
    for (const { prefix } of tokens) {
      const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${prefix}`, headers: admin.headers });
      expect(res.statusCode).toBe(204);
    }
    return tokens;
  }
  async function expiredTokens(count: number) {
    const tokens = await activeTokens(count);
    for (const { credentialId } of tokens)
      await t.database.db
        .update(credentials)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(credentials.id, credentialId));
    return tokens;
  }
  async function deactivatedTokens(count: number) {
    const tokens = await activeTokens(count);
    const agentId = tokens[0]?.agent.id;
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agentId}/deactivate`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    return tokens;
  }
  function unknownPrefix(): string {
    for (;;) {
      const prefix = randomPrefix();
      if (!known.has(prefix)) return prefix;
    }
  }

  /** A wrong-secret token for the pool's prefixes, each prefix used at most FAILURES_PER_TOKEN times. */
  function wrongSecrets(pool: { prefix: string }[]): () => string {
    let used = 0;
    return () => {
      const token = pool[Math.floor(used++ / FAILURES_PER_TOKEN)];
      if (!token) throw new Error('the pool of prefixes is used up: more samples than tokens allow');
      return wrongSecret(token.prefix);
    };
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('answers unknown prefixes, wrong secrets and revoked, expired or deactivated tokens with the same 401', async () => {
    const [active] = await activeTokens(1);
    const [revoked] = await revokedTokens(1);
    const [expired] = await expiredTokens(1);
    const [deactivated] = await deactivatedTokens(1);
    if (!active || !revoked || !expired || !deactivated) throw new Error('no token issued');
    const refusals = {
      'unknown prefix': await exchange(wrongSecret(unknownPrefix())),
      'active, wrong secret': await exchange(wrongSecret(active.prefix)),
      'revoked, wrong secret': await exchange(wrongSecret(revoked.prefix)),
      'revoked, right secret': await exchange(revoked.token),
      'expired, right secret': await exchange(expired.token),
      'deactivated agent, right secret': await exchange(deactivated.token),
      'malformed (short secret)': await exchange(`${randomPrefix()}_tooshort`),
      'malformed (bad prefix)': await exchange(`agt_!!!!!!_${randomToken(32)}`),
    };
    const expected = {
      status: 401,
      body: { error: 'unauthorized', message: 'The token is invalid, expired or revoked.' },
      contentType: 'application/json; charset=utf-8',
    };
    for (const [label, res] of Object.entries(refusals)) expect(answer(res), label).toEqual(expected);
    const headerNames = (res: LightMyRequestResponse) => Object.keys(res.headers).sort();
    for (const [label, res] of Object.entries(refusals))
      expect(headerNames(res), label).toEqual(headerNames(refusals['unknown prefix']));
  });

  it('makes every known prefix pay one argon2 verification, and an unknown or malformed token clearly less', async () => {
    const pools = Math.ceil((SAMPLES + 1) / FAILURES_PER_TOKEN);
    // A token is remembered once verified (then a call costs no hash): each sample's correct token is a fresh one.
    const correct = await activeTokens(SAMPLES + 1);
    const next: Record<Kind, () => string> = {
      correct: () => {
        const token = correct.pop();
        if (!token) throw new Error('the correct tokens are used up');
        return token.token;
      },
      'active, wrong secret': wrongSecrets(await activeTokens(pools)),
      'revoked, wrong secret': wrongSecrets(await revokedTokens(pools)),
      'expired, wrong secret': wrongSecrets(await expiredTokens(pools)),
      'deactivated agent, wrong secret': wrongSecrets(await deactivatedTokens(pools)),
      'unknown prefix': () => wrongSecret(unknownPrefix()),
      malformed: () => `${unknownPrefix()}_${randomToken(16)}`,
    };
    // One bare verification, timed in the same run: the unit every bound is expressed in.
    const reference = await hashSecret(randomToken(32));
    const verification = async () => {
      const started = performance.now();
      await verifySecret(reference, randomToken(32));
      return performance.now() - started;
    };

    const kinds = [...HASHED, ...FAST];
    const timed = async (kind: Kind) => {
      const token = next[kind]();
      const before = vi.mocked(verifySecret).mock.calls.length;
      const started = performance.now();
      const res = await exchange(token);
      const ms = performance.now() - started;
      // Every sample took the intended path: never rate limited, one verification exactly when the prefix is known.
      expect(res.statusCode, kind).toBe(kind === 'correct' ? 200 : 401);
      expect(vi.mocked(verifySecret).mock.calls.length - before, kind).toBe(HASHED.includes(kind) ? 1 : 0);
      return ms;
    };
    for (const kind of kinds) await timed(kind); // warm-up, not measured

    const runs = shuffle([...kinds, 'verification' as const].flatMap((kind) => Array<typeof kind>(SAMPLES).fill(kind)));
    const samples = new Map<Kind | 'verification', number[]>();
    for (const kind of runs) {
      const ms = kind === 'verification' ? await verification() : await timed(kind);
      samples.set(kind, [...(samples.get(kind) ?? []), ms]);
    }
    const medians = Object.fromEntries([...samples].map(([kind, values]) => [kind, median(values)]));
    const of = (kind: Kind | 'verification') => medians[kind] ?? Number.NaN;
    const unit = of('verification');
    console.info(
      'exchange medians (ms):',
      JSON.stringify(medians, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)),
    );

    const fastPath = Math.max(...FAST.map(of));
    const active = of('active, wrong secret');
    for (const kind of HASHED) {
      // A known prefix costs more than half a verification over the fast path...
      expect(of(kind) - fastPath, kind).toBeGreaterThan(unit / 2);
      // ...and whatever its state, it looks like an active prefix, not like the fast path a skipped hash would give.
      expect(Math.abs(of(kind) - active), kind).toBeLessThan(of(kind) - fastPath);
    }
    // The fast path hashes nothing: an unknown or malformed token costs well under one verification.
    for (const kind of FAST) expect(of(kind), kind).toBeLessThan(unit / 2);
  });

  it('spares a correct token used again its verification, and a revoked one that was remembered pays it again', async () => {
    const [token] = await activeTokens(1);
    if (!token) throw new Error('no token issued');
    const verifications = async (raw: string, status: number) => {
      const before = vi.mocked(verifySecret).mock.calls.length;
      expect((await exchange(raw)).statusCode).toBe(status);
      return vi.mocked(verifySecret).mock.calls.length - before;
    };
    expect(await verifications(token.token, 200)).toBe(1);
    expect(await verifications(token.token, 200)).toBe(0);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${token.prefix}`, headers: admin.headers });
    expect(res.statusCode).toBe(204);
    // Revoked: forgotten, so it costs what every dead token costs.
    expect(await verifications(token.token, 401)).toBe(1);
  });
});
