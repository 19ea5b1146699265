import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { deviceAuthorizations, type DeviceAuthorizationRow } from '../../db/schema/index.js';

export type NewDeviceAuthorization = typeof deviceAuthorizations.$inferInsert;

export function createDevicesRepository({ db }: { db: Db }) {
  return {
    /** Undefined when the user code collides with another pending request (retry with a new one). */
    insert: async (row: NewDeviceAuthorization): Promise<DeviceAuthorizationRow | undefined> =>
      (await db.insert(deviceAuthorizations).values(row).onConflictDoNothing().returning())[0],

    findByDeviceCodeHash: async (hash: string) =>
      (await db.select().from(deviceAuthorizations).where(eq(deviceAuthorizations.deviceCodeHash, hash)))[0],

    findPendingByUserCode: async (userCode: string) =>
      (
        await db
          .select()
          .from(deviceAuthorizations)
          .where(and(eq(deviceAuthorizations.userCode, userCode), eq(deviceAuthorizations.status, 'pending')))
      )[0],

    /** Records a poll and the (possibly grown) interval. */
    recordPoll: (id: string, now: Date, interval: number) =>
      db.update(deviceAuthorizations).set({ lastPolledAt: now, interval }).where(eq(deviceAuthorizations.id, id)),

    /** Moves a request from one status to another; false when another request won the race. */
    transition: async (id: string, from: DeviceAuthorizationRow['status'], patch: Partial<NewDeviceAuthorization>) =>
      (
        await db
          .update(deviceAuthorizations)
          .set(patch)
          .where(and(eq(deviceAuthorizations.id, id), eq(deviceAuthorizations.status, from)))
          .returning({ id: deviceAuthorizations.id })
      ).length > 0,

    expirePending: (now: Date) =>
      db
        .update(deviceAuthorizations)
        .set({ status: 'expired' })
        .where(and(eq(deviceAuthorizations.status, 'pending'), lt(deviceAuthorizations.expiresAt, now)))
        .returning({ id: deviceAuthorizations.id, serverId: deviceAuthorizations.serverId }),

    /** Approved requests never redeemed before their expiry (ADR 0015): expired, with the agent they created. */
    expireApproved: (now: Date) =>
      db
        .update(deviceAuthorizations)
        .set({ status: 'expired' })
        .where(and(eq(deviceAuthorizations.status, 'approved'), lt(deviceAuthorizations.expiresAt, now)))
        .returning({ id: deviceAuthorizations.id, agentId: deviceAuthorizations.agentId }),

    /** Requests that expired before `before` are gone for good (until then they answer expired_token). */
    purge: (before: Date) => db.delete(deviceAuthorizations).where(lt(deviceAuthorizations.expiresAt, before)),
  };
}

export type DevicesRepository = ReturnType<typeof createDevicesRepository>;
