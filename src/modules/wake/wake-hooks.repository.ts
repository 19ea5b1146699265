import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { agentWakeHooks } from '../../db/schema/index.js';

export interface WakeHookValues {
  agentId: string;
  url: string;
  /** Undefined keeps the stored secret (an update that gave none). */
  secretEnc: string | undefined;
  wakeOnRoomMentions: boolean;
  coalesceSeconds: number;
}

/** One wake hook per agent. */
export function createWakeHooksRepository({ db }: { db: Db }) {
  return {
    find: async (agentId: string) =>
      (await db.select().from(agentWakeHooks).where(eq(agentWakeHooks.agentId, agentId)))[0],

    /** Creates or replaces the agent's hook; a new hook needs a secret (the caller makes sure). */
    async upsert(values: WakeHookValues) {
      const [row] = await db
        .insert(agentWakeHooks)
        .values({ ...values, secretEnc: values.secretEnc ?? '' })
        .onConflictDoUpdate({
          target: agentWakeHooks.agentId,
          set: {
            url: values.url,
            ...(values.secretEnc !== undefined ? { secretEnc: values.secretEnc } : {}),
            wakeOnRoomMentions: values.wakeOnRoomMentions,
            coalesceSeconds: values.coalesceSeconds,
            updatedAt: sql`now()`,
          },
        })
        .returning();
      return row;
    },

    delete: async (agentId: string) =>
      (await db.delete(agentWakeHooks).where(eq(agentWakeHooks.agentId, agentId)).returning()).length > 0,
  };
}

export type WakeHooksRepository = ReturnType<typeof createWakeHooksRepository>;
