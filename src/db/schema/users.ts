import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const userRoles = ['admin', 'user'] as const;
export const userPlans = ['free', 'pro', 'enterprise'] as const;

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    role: text('role', { enum: userRoles }).notNull().default('user'),
    plan: text('plan', { enum: userPlans }).notNull().default('free'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
  },
  // Emails are stored lower-cased; the index on lower() keeps that true even for manual inserts.
  (t) => [uniqueIndex('users_email_unique').on(sql`lower(${t.email})`)],
);

export type UserRow = typeof users.$inferSelect;
