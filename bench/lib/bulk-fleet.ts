import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { agents, credentials, roomMembers, rooms } from '../../src/db/schema/index.js';
import { hashSecret } from '../../src/lib/crypto.js';
import { benchServices, type FleetAgent } from './fleet.js';

const CHUNK = 500;
/** Credential prefixes are unique across fleets of one process (each bench run has its own database). */
let issued = 0;

export interface BulkFleet {
  agents: FleetAgent[];
  /** Per entry of `prefixRooms`: the id of the room holding the first N agents. */
  prefixRooms: Map<number, string>;
}

/**
 * `size` agents of one owner, each with its own API credential and access
 * JWT, written with multi-row inserts: in rooms of `roomSize` (consecutive
 * agents), plus one room per `prefixRooms` entry N with the first N agents.
 * createFleet spends an argon2 hash per agent (a minute per thousand on 2
 * cores); these credentials share one hash, which only an API-token exchange
 * would read — sockets authenticate with the JWT and the credential's status.
 */
export async function createBulkFleet(
  database: Database,
  config: Config,
  size: number,
  { roomSize, prefixRooms = [] }: { roomSize?: number; prefixRooms?: number[] },
): Promise<BulkFleet> {
  const services = benchServices(database, config);
  const { user } = await services.users.create({
    email: `bench-bulk-${randomBytes(4).toString('hex')}@example.com`,
    name: 'Bench bulk',
    plan: 'enterprise',
  });
  const secretHash = await hashSecret(randomBytes(32).toString('base64url'));
  const fleet: FleetAgent[] = [];
  const roomsOf = (count: number, label: string) =>
    database.db
      .insert(rooms)
      .values(
        Array.from({ length: count }, (_, r) => ({
          slug: `bulk-${label}-${r}`,
          name: `Bulk ${label}-${r}`,
          ownerId: user.id,
          createdBy: user.id,
        })),
      )
      .returning({ id: rooms.id });
  for (let from = 0; from < size; from += CHUNK) {
    const count = Math.min(CHUNK, size - from);
    const created = await database.db
      .insert(agents)
      .values(
        Array.from({ length: count }, (_, k) => ({
          ownerId: user.id,
          name: `bulk-${from + k}`,
          serverId: `bulk-srv-${from + k}`,
          approvedAt: new Date(),
        })),
      )
      .returning();
    const creds = await database.db
      .insert(credentials)
      .values(
        created.map((agent, k) => ({
          agentId: agent.id,
          kind: 'api' as const,
          prefix: `agt_b${(issued + from + k).toString(36).padStart(5, '0')}`,
          secretHash,
        })),
      )
      .returning({ id: credentials.id, agentId: credentials.agentId });
    if (roomSize) {
      const roomRows = await roomsOf(Math.ceil(count / roomSize), String(from));
      await database.db
        .insert(roomMembers)
        .values(created.map((agent, k) => ({ roomId: roomRows[Math.floor(k / roomSize)]!.id, agentId: agent.id })));
    }
    const credentialOf = new Map(creds.map((c) => [c.agentId, c.id]));
    for (const agent of created) {
      const identity = {
        id: agent.id,
        name: agent.name,
        ownerId: user.id,
        teamId: null,
        serverId: agent.serverId,
        role: 'agent' as const,
      };
      const jwt = services.accessTokens.issue(identity, credentialOf.get(agent.id)!, []).token;
      fleet.push({ agentId: agent.id, serverId: agent.serverId ?? '', jwt });
    }
  }
  issued += size;
  const prefixRoomIds = new Map<number, string>();
  for (const n of new Set(prefixRooms)) {
    const [room] = await roomsOf(1, `first-${n}`);
    for (let from = 0; from < n; from += CHUNK)
      await database.db
        .insert(roomMembers)
        .values(fleet.slice(from, Math.min(n, from + CHUNK)).map((a) => ({ roomId: room!.id, agentId: a.agentId })));
    prefixRoomIds.set(n, room!.id);
  }
  return { agents: fleet, prefixRooms: prefixRoomIds };
}
