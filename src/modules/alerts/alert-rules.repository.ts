import { and, desc, eq, gt, inArray, or } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { alertRules, silences, type AlertRuleRow } from '../../db/schema/index.js';

export type NewAlertRule = typeof alertRules.$inferInsert;

/** Rules and silences: what people configure. */
export function createAlertRulesRepository({ db }: { db: Db }) {
  return {
    insert: async (row: NewAlertRule) => (await db.insert(alertRules).values(row).returning())[0],
    findById: async (id: string) => (await db.select().from(alertRules).where(eq(alertRules.id, id)))[0],
    update: async (id: string, patch: Partial<NewAlertRule>) =>
      (await db.update(alertRules).set(patch).where(eq(alertRules.id, id)).returning())[0],
    delete: async (id: string) => {
      await db.delete(alertRules).where(eq(alertRules.id, id));
    },
    /** The rules of a person and of their teams. */
    listFor: (userId: string, teamIds: string[]): Promise<AlertRuleRow[]> =>
      db
        .select()
        .from(alertRules)
        .where(
          teamIds.length > 0
            ? or(eq(alertRules.ownerId, userId), inArray(alertRules.teamId, teamIds))
            : eq(alertRules.ownerId, userId),
        )
        .orderBy(desc(alertRules.createdAt)),
    listEnabled: () => db.select().from(alertRules).where(eq(alertRules.enabled, true)),

    insertSilence: async (row: typeof silences.$inferInsert) => (await db.insert(silences).values(row).returning())[0],
    findSilence: async (id: string) => (await db.select().from(silences).where(eq(silences.id, id)))[0],
    deleteSilence: async (id: string) => {
      await db.delete(silences).where(eq(silences.id, id));
    },
    listSilences: (ownerIds: string[], now: Date) =>
      db
        .select()
        .from(silences)
        .where(and(inArray(silences.ownerId, ownerIds), gt(silences.until, now)))
        .orderBy(desc(silences.createdAt)),
    /** Silences in force now: a rule, an agent, or a rule on one agent. */
    activeSilences: (now: Date) =>
      db.select({ ruleId: silences.ruleId, agentId: silences.agentId }).from(silences).where(gt(silences.until, now)),
  };
}

export type AlertRulesRepository = ReturnType<typeof createAlertRulesRepository>;
