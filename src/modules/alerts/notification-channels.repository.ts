import { desc, eq, inArray, or } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { notificationChannels } from '../../db/schema/index.js';

export type NewChannel = typeof notificationChannels.$inferInsert;

export function createNotificationChannelsRepository({ db }: { db: Db }) {
  return {
    insert: async (row: NewChannel) => (await db.insert(notificationChannels).values(row).returning())[0],
    findById: async (id: string) =>
      (await db.select().from(notificationChannels).where(eq(notificationChannels.id, id)))[0],
    findByIds: (ids: string[]) =>
      ids.length === 0
        ? Promise.resolve([])
        : db.select().from(notificationChannels).where(inArray(notificationChannels.id, ids)),
    delete: async (id: string) => {
      await db.delete(notificationChannels).where(eq(notificationChannels.id, id));
    },
    listFor: (userId: string, teamIds: string[]) =>
      db
        .select()
        .from(notificationChannels)
        .where(
          teamIds.length > 0
            ? or(eq(notificationChannels.ownerId, userId), inArray(notificationChannels.teamId, teamIds))
            : eq(notificationChannels.ownerId, userId),
        )
        .orderBy(desc(notificationChannels.createdAt)),
  };
}

export type NotificationChannelsRepository = ReturnType<typeof createNotificationChannelsRepository>;
