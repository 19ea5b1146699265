import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from './agents.js';

export const credentialKinds = ['api', 'refresh'] as const;
export type CredentialKind = (typeof credentialKinds)[number];

export const credentials = pgTable(
  'credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: credentialKinds }).notNull(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    familyId: uuid('family_id'),
    parentId: uuid('parent_id'),
    fingerprint: text('fingerprint'),
    scopes: jsonb('scopes').$type<string[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    uniqueIndex('credentials_prefix_unique').on(t.prefix),
    index('credentials_agent_idx').on(t.agentId),
    index('credentials_family_idx').on(t.familyId),
  ],
);

export type CredentialRow = typeof credentials.$inferSelect;
