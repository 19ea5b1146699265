import { benchServices, createFleet, type FleetAgent } from '../../bench/lib/fleet.js';
import { testConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import type { Services } from '../../src/services.js';
import { SECRETS } from './processes.js';

/** What a reliability test seeds before its server process starts: an admin, a room and its talking agents. */
export interface World {
  services: Services;
  actor: UserActor;
  roomId: string;
  /** API tokens of the room's member agents. */
  tokens: string[];
}

/** Seeds through the services (no server needed) on a migrated database. */
export async function seedWorld(
  database: Database,
  options: { label: string; talkers: number; password?: string },
): Promise<World & { email: string }> {
  const config = testConfig({ jwtSecret: SECRETS.JWT_SECRET, cookieSecret: SECRETS.COOKIE_SECRET });
  const services = benchServices(database, config);
  const { user } = await services.users.create({
    email: `${options.label}-${Date.now()}@example.com`,
    name: options.label,
    role: 'admin',
    plan: 'enterprise',
    ...(options.password ? { password: options.password } : {}),
  });
  const actor: UserActor = {
    kind: 'user',
    user: { id: user.id, email: user.email, name: user.name, role: 'admin', plan: 'enterprise' },
    sessionId: 'reliability',
    teams: new Map(),
  };
  const { room } = await services.rooms.create(actor, { slug: `${options.label}-room`, name: `${options.label} room` });
  const tokens: string[] = [];
  for (let i = 0; i < options.talkers; i++) {
    const { agent } = await services.agents.create({ name: `talker-${i}`, serverId: `talker-${i}` }, { actor });
    const { token } = await services.credentials.issueApiToken(agent, {}, { actor });
    await services.rooms.addMember(room.id, agent.id, actor);
    tokens.push(token);
  }
  return { services, actor, roomId: room.id, tokens, email: user.email };
}

/** `size` linked agents with access JWTs the server processes accept (the reliability secrets). */
export function seedFleet(database: Database, size: number): Promise<FleetAgent[]> {
  return createFleet(
    database,
    testConfig({ jwtSecret: SECRETS.JWT_SECRET, cookieSecret: SECRETS.COOKIE_SECRET }),
    size,
  );
}
