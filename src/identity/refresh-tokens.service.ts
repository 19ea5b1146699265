import type { Config } from '../config.js';
import type { AgentRow, CredentialRow } from '../db/schema/index.js';
import { constantTimeEqual, hmacSha256 } from '../lib/crypto.js';
import type { AppEventBus } from '../lib/events.js';
import type { Metrics } from '../observability/metrics.js';
import type { AccessTokens, IssuedAccessToken } from './access-tokens.jwt.js';
import type { AuditService } from '../modules/audit/audit.service.js';
import type { CredentialsRepository } from './credentials.repository.js';
import { toAgentIdentity } from './actor.model.js';
import { generateRefreshToken, parseRefreshToken, successorOf } from './refresh-token.format.js';

/** A retried refresh of the token rotated this recently gets the same successor back. */
export const REFRESH_GRACE_MS = 30_000;

export interface TokenPair {
  access: IssuedAccessToken;
  refreshToken: string;
  scope: string;
  agent: AgentRow;
}

export type RefreshFailure = 'invalid_grant';

interface Deps {
  config: Config;
  repository: CredentialsRepository;
  accessTokens: AccessTokens;
  audit: AuditService;
  events: AppEventBus;
  metrics: Metrics;
}

/**
 * Rotating refresh tokens (OAuth 2.0 Security BCP §4.14): every use returns a
 * new one; presenting a rotated one outside the grace window revokes the whole
 * family, which also ends every access token issued from it.
 */
export function createRefreshTokensService({ config, repository, accessTokens, audit, events, metrics }: Deps) {
  const peppers = [config.cookieSecret, ...(config.COOKIE_PREVIOUS_SECRET ? [config.COOKIE_PREVIOUS_SECRET] : [])];
  const hashOf = (secret: string) => hmacSha256(config.cookieSecret, secret);
  const secretMatches = (stored: string, secret: string) =>
    peppers.some((p) => constantTimeEqual(stored, hmacSha256(p, secret)));
  const expiry = () => new Date(Date.now() + config.REFRESH_TOKEN_TTL * 1000);

  function pairFor(agent: AgentRow, credential: CredentialRow, refreshToken: string): TokenPair {
    return {
      access: accessTokens.issue(toAgentIdentity(agent), credential.id, credential.scopes),
      refreshToken,
      scope: credential.scopes.join(' '),
      agent,
    };
  }

  async function revokeFamily(credential: CredentialRow, ip: string | undefined) {
    const familyId = credential.familyId ?? credential.id;
    const revoked = await repository.revokeFamily(familyId, 'reuse_detected', new Date());
    for (const { id } of revoked) events.emit('credential.revoked', { credentialId: id });
    metrics.authAttempts.inc({ kind: 'refresh', result: 'reuse_detected' });
    await audit.record({
      type: 'token.reuse_detected',
      actorType: 'anon',
      actorId: null,
      subjectType: 'agent',
      subjectId: credential.agentId,
      ip,
      payload: { family_id: familyId, prefix: credential.prefix, revoked: revoked.length },
    });
  }

  return {
    /** The first refresh token of a family (device-code redemption). */
    async issue(agent: AgentRow, options: { familyId: string; scopes: string[] }): Promise<TokenPair> {
      const { token, prefix, secret } = generateRefreshToken();
      const credential = await repository.insert({
        agentId: agent.id,
        kind: 'refresh',
        prefix,
        secretHash: hashOf(secret),
        familyId: options.familyId,
        scopes: options.scopes,
        expiresAt: expiry(),
      });
      if (!credential) throw new Error('refresh credential insert returned nothing');
      return pairFor(agent, credential, token);
    },

    /** grant_type=refresh_token. Binds the device fingerprint at first use. */
    async rotate(
      token: string,
      fingerprint: string | undefined,
      ip: string | undefined,
    ): Promise<{ ok: true; pair: TokenPair } | { ok: false; reason: RefreshFailure; description: string }> {
      const fail = (description: string) => {
        metrics.authAttempts.inc({ kind: 'refresh', result: 'failure' });
        return { ok: false as const, reason: 'invalid_grant' as const, description };
      };
      const parsed = parseRefreshToken(token);
      const found = parsed && (await repository.findByPrefix(parsed.prefix));
      if (
        !parsed ||
        !found ||
        found.credential.kind !== 'refresh' ||
        !secretMatches(found.credential.secretHash, parsed.secret)
      )
        return fail('The refresh token is invalid.');
      const { credential, agent } = found;
      if (agent.status !== 'approved' || found.ownerDisabled) return fail('The agent is no longer active.');
      if (credential.fingerprint && credential.fingerprint !== fingerprint) {
        await audit.record({
          type: 'token.fingerprint_mismatch',
          actorType: 'anon',
          actorId: null,
          subjectType: 'agent',
          subjectId: agent.id,
          ip,
          payload: { prefix: credential.prefix },
        });
        return fail('The refresh token is bound to another device.');
      }

      const successor = successorOf(config.cookieSecret, parsed.secret);
      if (credential.revokedAt) {
        const retried =
          credential.revokedReason === 'rotated' && Date.now() - credential.revokedAt.getTime() < REFRESH_GRACE_MS;
        const next = retried ? await repository.findByPrefix(successor.prefix) : undefined;
        if (next && !next.credential.revokedAt)
          return { ok: true, pair: pairFor(agent, next.credential, successor.token) };
        if (credential.revokedReason === 'rotated') await revokeFamily(credential, ip);
        return fail('The refresh token was already used or revoked.');
      }
      if (credential.expiresAt && credential.expiresAt <= new Date()) return fail('The refresh token has expired.');

      // The successor's prefix derives from this token, so inserting it is the claim: a concurrent
      // refresh of the same token conflicts and gets the same successor (revoking first let the
      // loser see a rotated token without a successor yet, and treat it as reuse).
      const next = await repository.insertIfAbsent({
        agentId: agent.id,
        kind: 'refresh',
        prefix: successor.prefix,
        secretHash: hashOf(successor.secret),
        familyId: credential.familyId ?? credential.id,
        parentId: credential.id,
        fingerprint: credential.fingerprint ?? fingerprint ?? null,
        scopes: credential.scopes,
        expiresAt: expiry(),
      });
      if (!next) {
        const existing = await repository.findByPrefix(successor.prefix);
        if (existing && !existing.credential.revokedAt)
          return { ok: true, pair: pairFor(agent, existing.credential, successor.token) };
        await revokeFamily(credential, ip);
        return fail('The refresh token was already used or revoked.');
      }
      const now = new Date();
      if (!(await repository.revoke(credential.id, 'rotated', now))) {
        // Revoked meanwhile (family revoked, agent deactivated): the successor must not outlive it.
        await repository.revoke(next.id, 'revoked', now);
        return fail('The refresh token was already used or revoked.');
      }
      metrics.authAttempts.inc({ kind: 'refresh', result: 'success' });
      audit.recordInBackground({
        type: 'token.refreshed',
        actorType: 'agent',
        actorId: agent.id,
        subjectType: 'agent',
        subjectId: agent.id,
        ip,
        payload: { prefix: next.prefix, bound: next.fingerprint !== null },
      });
      return { ok: true, pair: pairFor(agent, next, successor.token) };
    },

    /** RFC 7009-style revocation by the token itself (agent unlink). Unknown tokens are not an error. */
    async revoke(token: string, ip: string | undefined): Promise<void> {
      const parsed = parseRefreshToken(token);
      const found = parsed && (await repository.findByPrefix(parsed.prefix));
      if (!parsed || !found || !secretMatches(found.credential.secretHash, parsed.secret)) return;
      const revoked = await repository.revokeFamily(
        found.credential.familyId ?? found.credential.id,
        'unlinked',
        new Date(),
      );
      for (const { id } of revoked) events.emit('credential.revoked', { credentialId: id });
      await audit.record({
        type: 'token.revoked',
        actorType: 'agent',
        actorId: found.agent.id,
        subjectType: 'agent',
        subjectId: found.agent.id,
        ip,
        payload: { prefix: found.credential.prefix, reason: 'unlinked' },
      });
    },
  };
}

export type RefreshTokensService = ReturnType<typeof createRefreshTokensService>;
