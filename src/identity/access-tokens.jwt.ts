import { createSecretKey, randomUUID } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { Config } from '../config.js';
import { setBounded } from '../lib/bounded-map.js';
import type { AgentIdentity } from './actor.model.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessClaims {
  sub: string;
  owner: string;
  team: string | null;
  server_id: string | null;
  role: 'admin' | 'agent';
  name: string;
  scope: string;
  cid: string;
  jti: string;
  exp: number;
  iat: number;
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
  expiresIn: number;
}

export type AccessTokenFailure = 'token_expired' | 'unauthorized';

/** Clock difference between instances tolerated in `iat` and in a token's lifetime. */
export const ACCESS_TOKEN_SKEW_S = 60;
/** ACCESS_TOKEN_TTL's default. */
const DEFAULT_ACCESS_TOKEN_TTL_S = 900;

/**
 * Verified access tokens remembered (the oldest is forgotten first): about 20 MB at most. Oldest-first
 * forgetting misses every time once a fleet taking turns outgrows it, so it is sized well above the fleets
 * one instance serves (bench:ingest runs 10,000 agents), like the credential-status and rate-limit caches.
 */
const VERIFIED_CACHE_SIZE = 50_000;

/** Signs and verifies the 15-minute HS256 access JWTs (RFC 9068 style: typ at+jwt). */
export function createAccessTokens(config: Config) {
  // KeyObjects, not strings: given a string, jsonwebtoken first tries to parse it as a
  // public key on every call, which cost a quarter of the ingestion CPU.
  const signingKey = createSecretKey(Buffer.from(config.jwtSecret));
  const verifyKeys = [config.jwtSecret, ...(config.JWT_PREVIOUS_SECRET ? [config.JWT_PREVIOUS_SECRET] : [])].map((k) =>
    createSecretKey(Buffer.from(k)),
  );

  function issue(agent: AgentIdentity, credentialId: string, scopes: string[]): IssuedAccessToken {
    const expiresIn = config.ACCESS_TOKEN_TTL;
    const claims = {
      owner: agent.ownerId,
      team: agent.teamId,
      server_id: agent.serverId,
      role: agent.role,
      name: agent.name,
      scope: scopes.join(' '),
      cid: credentialId,
    };
    const token = jwt.sign(claims, signingKey, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE },
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      subject: agent.id,
      expiresIn,
      jwtid: randomUUID(),
    });
    return { token, expiresIn, expiresAt: new Date(Date.now() + expiresIn * 1000) };
  }

  // An agent sends the same token with every request for 15 minutes: checking its signature once is enough.
  // Only tokens that verified are kept, keyed by the whole token; expiry is still checked on every use.
  const verified = new Map<string, AccessClaims>();

  /** Pins the algorithm, issuer, audience and typ; tries the previous key during a rotation. */
  function verify(token: string): { ok: true; claims: AccessClaims } | { ok: false; reason: AccessTokenFailure } {
    const known = verified.get(token);
    if (known) {
      if (Math.floor(Date.now() / 1000) < known.exp) return { ok: true, claims: known };
      verified.delete(token);
      return { ok: false, reason: 'token_expired' };
    }
    const result = verifySignature(token);
    if (result.ok) setBounded(verified, token, result.claims, VERIFIED_CACHE_SIZE);
    return result;
  }

  function verifySignature(
    token: string,
  ): { ok: true; claims: AccessClaims } | { ok: false; reason: AccessTokenFailure } {
    for (const key of verifyKeys) {
      try {
        const decoded = jwt.verify(token, key, {
          algorithms: ['HS256'],
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          complete: true,
        });
        if (decoded.header.typ !== ACCESS_TOKEN_TYPE) return { ok: false, reason: 'unauthorized' };
        const claims = decoded.payload as JwtPayload;
        if (!isAccessClaims(claims) || !withinIssuedLifetime(claims)) return { ok: false, reason: 'unauthorized' };
        return { ok: true, claims };
      } catch (error) {
        if (error instanceof jwt.TokenExpiredError) return { ok: false, reason: 'token_expired' };
        if (error instanceof jwt.JsonWebTokenError && error.message === 'invalid signature') continue;
        return { ok: false, reason: 'unauthorized' };
      }
    }
    return { ok: false, reason: 'unauthorized' };
  }

  /**
   * Issued now, for no longer than AgentHub issues (issue 25.3): a future `iat` or a lifetime past
   * ACCESS_TOKEN_TTL was not ours. The default 15 minutes is always tolerated, so that lowering
   * ACCESS_TOKEN_TTL (or a fleet mid-rollout of it) does not refuse tokens issued a moment before.
   */
  const longestLifetime = Math.max(config.ACCESS_TOKEN_TTL, DEFAULT_ACCESS_TOKEN_TTL_S) + ACCESS_TOKEN_SKEW_S;
  function withinIssuedLifetime(claims: AccessClaims): boolean {
    const now = Math.floor(Date.now() / 1000);
    return claims.iat <= now + ACCESS_TOKEN_SKEW_S && claims.exp - claims.iat <= longestLifetime;
  }

  return { issue, verify };
}

function isAccessClaims(p: JwtPayload): p is AccessClaims & JwtPayload {
  return (
    typeof p.sub === 'string' &&
    typeof p['owner'] === 'string' &&
    typeof p['cid'] === 'string' &&
    typeof p.jti === 'string' &&
    typeof p.exp === 'number' &&
    typeof p.iat === 'number' &&
    (p['role'] === 'admin' || p['role'] === 'agent')
  );
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
