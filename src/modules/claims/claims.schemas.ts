import { z } from 'zod';
import { claimModes } from '../../db/schema/index.js';
import type { ClaimWithHolder } from './claims.repository.js';

export const RESOURCE_MAX_CHARS = 256;
export const TTL_MIN_SECONDS = 1;
export const TTL_MAX_SECONDS = 86_400;
export const NOTE_MAX_CHARS = 500;

const KIND = /^[a-z][a-z0-9_-]{0,31}:/;
// Control and format characters (bidi overrides, zero-width), and any whitespace but the plain space.
const UNPRINTABLE = /[\p{C}]|[^\S ]/u;

/** Why a resource name is refused, or undefined when it is a good one. */
export function resourceProblem(value: string): string | undefined {
  if (!KIND.test(value))
    return 'a resource is kind:name, e.g. task:1234 or file:src/**/*.ts (kind: a-z, 0-9, _ and -, at most 32)';
  const name = value.slice(value.indexOf(':') + 1);
  if (name === '' || name.trim() !== name)
    return 'a resource needs a name after its kind, without leading or trailing spaces';
  if (UNPRINTABLE.test(name)) return 'a resource has no control characters and no whitespace but plain spaces';
  if (name.includes('***')) return 'a resource has at most two * in a row';
  return undefined;
}

/** `kind:name`; the kind is lower-case, the name printable text, a glob when it has `*`, `**` or `?`. */
export const resource = z
  .string()
  .max(RESOURCE_MAX_CHARS, `a resource is at most ${RESOURCE_MAX_CHARS} characters`)
  .superRefine((value, ctx) => {
    const problem = resourceProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
export const claimMode = z.enum(claimModes);
export const ttlSeconds = z
  .number()
  .int('ttl_seconds is a whole number of seconds')
  .min(TTL_MIN_SECONDS, `ttl_seconds is at least ${TTL_MIN_SECONDS}`)
  .max(TTL_MAX_SECONDS, `ttl_seconds is at most ${TTL_MAX_SECONDS} (24 h)`);
export const note = z
  .string()
  .max(NOTE_MAX_CHARS)
  .regex(/^[^\p{Cc}]*$/u, 'a note has no control characters');

export const claimBody = z.strictObject({
  resource,
  mode: claimMode.default('exclusive'),
  ttl_seconds: ttlSeconds,
  note: note.optional(),
});
export const renewBody = z.strictObject({ ttl_seconds: ttlSeconds });
export const claimParams = z.strictObject({ id: z.string().min(1).max(64), claim_id: z.uuid() });

export const holderSchema = z.object({
  type: z.enum(['agent', 'user']),
  id: z.string(),
  name: z.string(),
});
export const claimSchema = z.object({
  id: z.string(),
  room_id: z.string(),
  resource: z.string(),
  mode: claimMode,
  holder: holderSchema,
  note: z.string().nullable(),
  created_at: z.string(),
  renewed_at: z.string().nullable(),
  expires_at: z.string(),
  released_at: z.string().nullable(),
});
export type ClaimPayload = z.infer<typeof claimSchema>;

/** Who holds what, as a 409 and a refused socket claim carry it. */
export const conflictSchema = z.object({
  claim_id: z.string(),
  resource: z.string(),
  mode: claimMode,
  holder: holderSchema,
  expires_at: z.string(),
});
export type ConflictPayload = z.infer<typeof conflictSchema>;

export function presentClaim(c: ClaimWithHolder): ClaimPayload {
  return {
    id: c.id,
    room_id: c.roomId,
    resource: c.resource,
    mode: c.mode,
    holder: c.holder,
    note: c.note,
    created_at: c.createdAt.toISOString(),
    renewed_at: c.renewedAt ? c.renewedAt.toISOString() : null,
    expires_at: c.expiresAt.toISOString(),
    released_at: c.releasedAt ? c.releasedAt.toISOString() : null,
  };
}

export function presentConflict(c: ClaimWithHolder): ConflictPayload {
  return {
    claim_id: c.id,
    resource: c.resource,
    mode: c.mode,
    holder: c.holder,
    expires_at: c.expiresAt.toISOString(),
  };
}
