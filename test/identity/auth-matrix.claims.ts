import { expect } from 'vitest';
import { suffix, type MatrixWorld, type ProbeFor } from './auth-matrix.world.js';

/**
 * Probes of the claims routes, about the owner's team room. Each claim probe names a resource of its own
 * (no cell conflicts with another); renew and release act on a fresh claim held by the member agent, so
 * only it may renew and only it or who may manage the room may release.
 */
export function createClaimProbes(world: MatrixWorld): Record<string, ProbeFor> {
  const { t, roomId } = world;
  const holder = world.agents.agent;

  async function agentsClaim(): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/rooms/${roomId}/claims`,
      remoteAddress: '192.0.2.200',
      headers: { authorization: `Bearer ${holder.jwt}` },
      payload: { resource: `task:held-${suffix()}`, ttl_seconds: 600 },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ claim: { id: string } }>().claim.id;
  }

  return {
    'POST /api/v1/rooms/:id/claims': () => ({
      method: 'POST',
      url: `/api/v1/rooms/${roomId}/claims`,
      json: { resource: `task:matrix-${suffix()}`, ttl_seconds: 60 },
    }),
    'GET /api/v1/rooms/:id/claims': () => ({ method: 'GET', url: `/api/v1/rooms/${roomId}/claims` }),
    'PATCH /api/v1/rooms/:id/claims/:claim_id': async () => ({
      method: 'PATCH',
      url: `/api/v1/rooms/${roomId}/claims/${await agentsClaim()}`,
      json: { ttl_seconds: 120 },
    }),
    'POST /api/v1/rooms/:id/claims/:claim_id/renew': async () => ({
      method: 'POST',
      url: `/api/v1/rooms/${roomId}/claims/${await agentsClaim()}/renew`,
      json: { ttl_seconds: 120 },
    }),
    'DELETE /api/v1/rooms/:id/claims/:claim_id': async () => ({
      method: 'DELETE',
      url: `/api/v1/rooms/${roomId}/claims/${await agentsClaim()}`,
    }),
  };
}
