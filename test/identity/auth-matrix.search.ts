import type { MatrixWorld, ProbeFor } from './auth-matrix.world.js';

/**
 * Probes of search. The API probe names the team's room, so its cells are the room's read rule: 404 for whoever
 * may not read it (another user, a same-tenant agent that is not a member, another tenant's agent).
 */
export function createSearchProbes(world: MatrixWorld): Record<string, ProbeFor> {
  const { roomId } = world;
  return {
    'GET /api/v1/search/messages': () => ({ method: 'GET', url: `/api/v1/search/messages?q=hello&room_id=${roomId}` }),
    'GET /search': () => ({ method: 'GET', url: '/search?q=hello' }),
  };
}
