import { randomBytes } from 'node:crypto';
import { randomToken } from '../lib/crypto.js';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const API_TOKEN = /^(agt_[A-Za-z0-9]{6})_([A-Za-z0-9_-]{43})$/;

/** `agt_<6 chars>_<43-char base64url secret (256 bits)>`; the prefix (first 10 chars) is public. */
export function generateApiToken(): { token: string; prefix: string; secret: string } {
  const bytes = randomBytes(6);
  const id = Array.from(bytes, (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
  const prefix = `agt_${id}`;
  const secret = randomToken(32);
  return { token: `${prefix}_${secret}`, prefix, secret };
}

export function parseApiToken(token: string): { prefix: string; secret: string } | undefined {
  const match = API_TOKEN.exec(token);
  return match?.[1] && match[2] ? { prefix: match[1], secret: match[2] } : undefined;
}
