import { hmacSha256, randomToken } from '../lib/crypto.js';

const REFRESH_TOKEN = /^(agr_[A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

function alphanumeric(value: string, length: number): string {
  return value
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, length)
    .padEnd(length, '0');
}

/** `agr_<16 chars>_<43-char base64url secret>`; the prefix (first 20 chars) is the lookup key. */
export function generateRefreshToken(): { token: string; prefix: string; secret: string } {
  return compose(`agr_${alphanumeric(randomToken(24), 16)}`, randomToken(32));
}

/**
 * The successor of a refresh token is derived from its secret with the
 * server pepper, so a retried refresh (lost response) can be answered with the
 * very same successor without storing any plaintext.
 */
export function successorOf(pepper: string, parentSecret: string): { token: string; prefix: string; secret: string } {
  const prefix = `agr_${alphanumeric(hmacSha256(pepper, `successor-prefix:${parentSecret}`), 16)}`;
  return compose(prefix, hmacSha256(pepper, `successor-secret:${parentSecret}`));
}

export function parseRefreshToken(token: string): { prefix: string; secret: string } | undefined {
  const match = REFRESH_TOKEN.exec(token);
  return match?.[1] && match[2] ? { prefix: match[1], secret: match[2] } : undefined;
}

function compose(prefix: string, secret: string) {
  return { token: `${prefix}_${secret}`, prefix, secret };
}
