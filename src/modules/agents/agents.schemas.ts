import { z } from 'zod';
import type { AgentRow, CredentialRow } from '../../db/schema/index.js';
import { agentRoles, agentStatuses } from '../../db/schema/index.js';

/** server_id: 3–255 characters of a conservative charset (it appears in URLs, logs and pages). */
export const serverId = z
  .string()
  .min(3, 'server_id must be at least 3 characters')
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'server_id may contain letters, digits and . _ : @ -');

export const agentName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'name is a slug: lower-case letters, digits and . _ -');

export const agentSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().nullable(),
  device_name: z.string().nullable(),
  server_id: z.string().nullable(),
  role: z.enum(agentRoles),
  status: z.enum(agentStatuses),
  online: z.boolean(),
  owner_id: z.string(),
  team_id: z.string().nullable(),
  device_info: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  approved_at: z.string().nullable(),
  last_seen_at: z.string().nullable(),
  deactivated_at: z.string().nullable(),
});

export const createAgentBody = z.object({
  name: agentName,
  display_name: z.string().trim().min(1).max(100).optional(),
  role: z.enum(agentRoles).optional(),
  server_id: serverId.optional(),
  owner_id: z.uuid().optional(),
  team_id: z.uuid().optional(),
});

export const issueTokenBody = z
  .object({
    expires_at: z.iso
      .datetime({ offset: true })
      .refine((v) => new Date(v).getTime() > Date.now(), 'expires_at must be in the future')
      .optional(),
    scopes: z
      .array(z.string().regex(/^[a-z][a-z0-9:._-]{0,63}$/))
      .max(20)
      .optional(),
  })
  .default({});

export const issuedTokenSchema = z.object({
  token: z.string(),
  prefix: z.string(),
  id: z.string(),
  expires_at: z.string().nullable(),
});

export const tokenSchema = z.object({
  id: z.string(),
  prefix: z.string(),
  kind: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  revoked_reason: z.string().nullable(),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentAgent(agent: AgentRow, online: boolean): z.infer<typeof agentSchema> {
  return {
    id: agent.id,
    name: agent.name,
    display_name: agent.displayName,
    device_name: agent.displayName ?? agent.name,
    server_id: agent.serverId,
    role: agent.role,
    status: agent.status,
    online,
    owner_id: agent.ownerId,
    team_id: agent.teamId,
    device_info: agent.deviceInfo,
    created_at: agent.createdAt.toISOString(),
    approved_at: iso(agent.approvedAt),
    last_seen_at: iso(agent.lastSeenAt),
    deactivated_at: iso(agent.deactivatedAt),
  };
}

export function presentToken(c: CredentialRow): z.infer<typeof tokenSchema> {
  return {
    id: c.id,
    prefix: c.prefix,
    kind: c.kind,
    scopes: c.scopes,
    created_at: c.createdAt.toISOString(),
    expires_at: iso(c.expiresAt),
    last_used_at: iso(c.lastUsedAt),
    revoked_at: iso(c.revokedAt),
    revoked_reason: c.revokedReason,
  };
}

export function presentIssuedToken({ token, credential }: { token: string; credential: CredentialRow }) {
  return { token, prefix: credential.prefix, id: credential.id, expires_at: iso(credential.expiresAt) };
}
