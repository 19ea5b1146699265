import type { AgentRow, CredentialRow } from '../db/schema/index.js';
import type { AttemptLimiters } from '../lib/attempt-limiter.js';
import { addressKey } from '../lib/client-address.js';
import { setBounded } from '../lib/bounded-map.js';
import { hashSecret, sha256, verifySecret } from '../lib/crypto.js';
import type { AppEventBus } from '../lib/events.js';
import type { Metrics } from '../observability/metrics.js';
import type { AccessTokens, AccessTokenFailure } from './access-tokens.jwt.js';
import { apiTokenActor, type Actor, type AgentActor, type AgentIdentity, type ApiTokenActor } from './actor.model.js';
import { agentResource, authorize, ensure } from './access.policy.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import { tooManyAttempts } from './sessions.errors.js';
import { generateApiToken, parseApiToken } from './api-token.format.js';
import type { CredentialsRepository } from './credentials.repository.js';
import { invalidToken, tokenNotFound } from './credentials.errors.js';

/** A revocation reaches every instance within this time (each reads the validity epoch this often). */
export const REVOCATION_CACHE_MS = 1000;
/** A remembered credential check is looked up again after this long even when the epoch has not moved. */
const STATUS_MAX_AGE_MS = 5 * 60 * 1000;
/** Credential checks one instance remembers (the oldest forgotten first), well above the fleets it serves. */
const STATUS_CACHE_MAX = 50_000;

interface CredentialStatus {
  active: boolean;
  agent: AgentIdentity | undefined;
  at: number;
}

/**
 * An API token whose secret argon2id has accepted is remembered this long (by its SHA-256, never in
 * plaintext), so a client that sends it on every call — an MCP client configured with a static header —
 * pays the hash once per five minutes, not per request. Revocation, expiry and deactivation are still
 * checked on every use.
 */
export const VERIFIED_TOKEN_TTL_MS = 5 * 60 * 1000;
const VERIFIED_TOKENS_MAX = 10_000;
/** last_used_at is written at most this often per remembered token. */
const TOUCH_EVERY_MS = 60 * 1000;

interface Deps {
  repository: CredentialsRepository;
  accessTokens: AccessTokens;
  audit: AuditService;
  events: AppEventBus;
  metrics: Metrics;
  limiters: AttemptLimiters;
}

export function createCredentialsService({ repository, accessTokens, audit, events, metrics, limiters }: Deps) {
  const failuresByPrefix = limiters({ name: 'token-exchange-prefix', max: 10, windowMs: 15 * 60 * 1000 });
  const failuresByIp = limiters({ name: 'token-exchange-ip', max: 30, windowMs: 15 * 60 * 1000 });
  const activeCache = new Map<string, CredentialStatus>();
  const verifiedTokens = new Map<
    string,
    { credential: CredentialRow; agent: AgentRow; verifiedAt: number; touchedAt: number }
  >();

  events.on('credential.revoked', ({ credentialId }) => activeCache.delete(credentialId));
  events.on('agent.revoked', () => forgetStatuses());

  /**
   * A credential's standing and its agent as stored (rotated refresh tokens keep their access tokens valid; any
   * other revocation ends them), remembered until something that could change the answer changes. Changes made
   * here clear the entry at once (events); every change made anywhere moves the database's validity epoch in
   * its own transaction (migration 0003), which this instance reads at most every REVOCATION_CACHE_MS before
   * trusting what it remembers: a revocation on any instance is seen within that time, at one lookup per
   * second per instance instead of one per credential per second (10,000 agents: docs/BENCHMARKS.md).
   */
  async function credentialStatus(credentialId: string): Promise<CredentialStatus> {
    const epochRead = checkValidityEpoch();
    if (epochRead) await epochRead;
    const cached = activeCache.get(credentialId);
    if (cached && Date.now() - cached.at < STATUS_MAX_AGE_MS) {
      checksRemembered.inc();
      return cached;
    }
    const generation = cacheGeneration;
    const status = await repository.findStatus(credentialId);
    checksLookedUp.inc();
    const active =
      !!status &&
      status.agentStatus === 'approved' &&
      !status.ownerDisabled &&
      (status.revokedAt === null || status.revokedReason === 'rotated');
    const entry = { active, agent: status?.agent, at: Date.now() };
    // Read before a change the cache has since been cleared for: answer it, but do not remember it.
    if (generation === cacheGeneration) setBounded(activeCache, credentialId, entry, STATUS_CACHE_MAX);
    return entry;
  }

  // Bound once: the remembered path runs on every authenticated request.
  const checksRemembered = metrics.credentialChecks.labels('remembered');
  const checksLookedUp = metrics.credentialChecks.labels('looked_up');
  let epoch: string | undefined;
  let epochCheckedAt = 0;
  let epochCheck: Promise<void> | undefined;
  let cacheGeneration = 0;

  function forgetStatuses() {
    activeCache.clear();
    cacheGeneration++;
  }

  /** Clears what this instance remembers when the epoch moved; one read at a time, at most every REVOCATION_CACHE_MS. */
  function checkValidityEpoch(): Promise<void> | undefined {
    if (Date.now() - epochCheckedAt < REVOCATION_CACHE_MS) return undefined;
    epochCheck ??= (async () => {
      const startedAt = Date.now();
      try {
        const current = await repository.validityEpoch();
        if (current !== epoch) forgetStatuses();
        epoch = current;
        epochCheckedAt = startedAt;
      } catch {
        // Unknown: trust nothing remembered; the lookups that follow answer (or fail) on their own.
        forgetStatuses();
      } finally {
        epochCheck = undefined;
      }
    })();
    return epochCheck;
  }

  const isActive = async (credentialId: string): Promise<boolean> => (await credentialStatus(credentialId)).active;

  /**
   * A signed token is not trusted as written (issue 25.3): its credential must be live and belong to its
   * subject, and the agent's owner, team, server_id, role and name come from the stored agent, so a token
   * signed with a leaked key cannot borrow another agent's credential or claim another server or role.
   */
  async function authenticateAccessToken(
    token: string,
  ): Promise<{ ok: true; actor: AgentActor } | { ok: false; reason: AccessTokenFailure; revoked?: true }> {
    const result = accessTokens.verify(token);
    if (!result.ok) return result;
    const c = result.claims;
    const status = await credentialStatus(c.cid);
    if (!status.agent || status.agent.id !== c.sub) return { ok: false, reason: 'unauthorized' };
    if (!status.active) return { ok: false, reason: 'unauthorized', revoked: true };
    return {
      ok: true,
      actor: {
        kind: 'agent',
        agent: status.agent,
        credentialId: c.cid,
        scopes: c.scope ? c.scope.split(' ') : [],
        expiresAt: c.exp,
      },
    };
  }

  /** A token verified within VERIFIED_TOKEN_TTL_MS and still usable, without hashing it again. */
  async function rememberedApiToken(key: string) {
    const remembered = verifiedTokens.get(key);
    if (!remembered) return undefined;
    const now = Date.now();
    const { credential } = remembered;
    const expired = credential.expiresAt !== null && credential.expiresAt.getTime() <= now;
    if (now - remembered.verifiedAt >= VERIFIED_TOKEN_TTL_MS || expired || !(await isActive(credential.id))) {
      verifiedTokens.delete(key);
      return undefined;
    }
    if (now - remembered.touchedAt >= TOUCH_EVERY_MS) {
      remembered.touchedAt = now;
      await repository.touch(credential.id, new Date(now));
    }
    metrics.apiTokenChecks.inc({ result: 'remembered' });
    return remembered;
  }

  /** Checks an `agt_` API token (argon2id). Unknown prefixes answer at once without hashing. */
  async function authenticateApiToken(token: string, ip: string): Promise<ApiTokenActor> {
    const parsed = parseApiToken(token);
    if (!parsed) throw invalidToken();
    const key = sha256(token);
    const remembered = await rememberedApiToken(key);
    if (remembered) return apiTokenActor(remembered.agent, remembered.credential);
    const address = addressKey(ip);
    const wait = (await failuresByPrefix.retryAfter(parsed.prefix)) || (await failuresByIp.retryAfter(address));
    if (wait) throw tooManyAttempts(wait);
    const found = await repository.findByPrefix(parsed.prefix);
    if (!found || found.credential.kind !== 'api') {
      await failuresByIp.hit(address);
      throw invalidToken();
    }
    const { credential, agent } = found;
    const usable =
      credential.revokedAt === null &&
      (credential.expiresAt === null || credential.expiresAt > new Date()) &&
      agent.status === 'approved' &&
      !found.ownerDisabled;
    // Verified before `usable` is looked at: a dead token must cost what a live one does (ADR 0006).
    if (!(await verifySecret(credential.secretHash, parsed.secret)) || !usable) {
      await Promise.all([failuresByPrefix.hit(parsed.prefix), failuresByIp.hit(address)]);
      metrics.authAttempts.inc({ kind: 'token_exchange', result: 'failure' });
      await audit.record({
        type: 'token.exchange_failed',
        actorType: 'anon',
        actorId: null,
        subjectType: 'agent',
        subjectId: agent.id,
        ip,
        payload: {
          prefix: credential.prefix,
          credential_id: credential.id,
          reason: usable ? 'bad_secret' : 'not_usable',
        },
      });
      throw invalidToken();
    }
    metrics.apiTokenChecks.inc({ result: 'verified' });
    const now = Date.now();
    await repository.touch(credential.id, new Date(now));
    setBounded(verifiedTokens, key, { credential, agent, verifiedAt: now, touchedAt: now }, VERIFIED_TOKENS_MAX);
    return apiTokenActor(agent, credential);
  }

  return {
    isActive,
    authenticateAccessToken,
    authenticateApiToken,

    /** POST /api/v1/sessions: an authenticated API token buys a 15-minute access JWT. */
    issueAccessToken(actor: ApiTokenActor, ip: string) {
      const issued = accessTokens.issue(actor.agent, actor.credentialId, actor.scopes);
      metrics.authAttempts.inc({ kind: 'token_exchange', result: 'success' });
      audit.recordInBackground({
        type: 'token.exchanged',
        actorType: 'agent',
        actorId: actor.agent.id,
        subjectType: 'agent',
        subjectId: actor.agent.id,
        ip,
        payload: { credential_id: actor.credentialId },
      });
      return issued;
    },

    /** Issues an API token for an agent; the plaintext is returned once and never stored. */
    async issueApiToken(
      agent: AgentRow,
      input: { expiresAt?: Date | undefined; scopes?: string[] | undefined; familyId?: string | undefined },
      context: { actor?: Actor; ip?: string | undefined },
    ) {
      const { token, prefix, secret } = generateApiToken();
      const row = await repository.insert({
        agentId: agent.id,
        kind: 'api',
        prefix,
        secretHash: await hashSecret(secret),
        scopes: input.scopes ?? [],
        expiresAt: input.expiresAt ?? null,
        familyId: input.familyId ?? null,
      });
      if (!row) throw new Error('credential insert returned nothing');
      await audit.record({
        type: 'token.issued',
        actor: context.actor,
        subjectType: 'agent',
        subjectId: agent.id,
        ip: context.ip,
        payload: { prefix, credential_id: row.id },
      });
      return { token, credential: row };
    },

    listForAgent: (agentId: string) => repository.listForAgent(agentId),

    /** DELETE /api/v1/tokens/:prefix — 404 unless the caller may manage the token's agent. */
    async revokeByPrefix(prefix: string, context: { actor: Actor; ip?: string }) {
      const found = await repository.findByPrefix(prefix);
      // Someone else's token gets the very answer an unused prefix gets, so prefixes cannot be probed.
      if (!found || !authorize(context.actor, 'read', agentResource(found.agent))) throw tokenNotFound();
      ensure(context.actor, 'manage', agentResource(found.agent));
      await revokeCredential(found.credential, 'revoked', context);
    },

    /** Everything one redemption or refresh lineage issued (family_id). */
    async revokeFamily(familyId: string, reason: string) {
      const revoked = await repository.revokeFamily(familyId, reason, new Date());
      for (const { id } of revoked) events.emit('credential.revoked', { credentialId: id });
      return revoked.length;
    },

    async revokeAllForAgent(agentId: string, reason: string, context: { actor?: Actor; ip?: string }) {
      const revoked = await repository.revokeAllForAgent(agentId, reason, new Date());
      for (const { id } of revoked) events.emit('credential.revoked', { credentialId: id });
      await audit.record({
        type: 'token.revoked',
        actor: context.actor,
        subjectType: 'agent',
        subjectId: agentId,
        ip: context.ip,
        payload: { reason, count: revoked.length },
      });
    },
  };

  async function revokeCredential(credential: CredentialRow, reason: string, context: { actor?: Actor; ip?: string }) {
    await repository.revoke(credential.id, reason, new Date());
    events.emit('credential.revoked', { credentialId: credential.id });
    await audit.record({
      type: 'token.revoked',
      actor: context.actor,
      subjectType: 'agent',
      subjectId: credential.agentId,
      ip: context.ip,
      payload: { prefix: credential.prefix, reason },
    });
  }
}

export type CredentialsService = ReturnType<typeof createCredentialsService>;
