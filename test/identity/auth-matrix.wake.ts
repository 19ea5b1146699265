import type { MatrixWorld, ProbeFor } from './auth-matrix.world.js';

/**
 * Probes of the wake-hook routes. An agent only ever reaches its own hook (`/agents/me`); people reach the
 * hook of an agent they may manage. A public IP literal keeps the SSRF guard away from DNS.
 */
export function createWakeProbes(world: MatrixWorld): Record<string, ProbeFor> {
  const agentId = world.agents.agent.agent.id;
  const body = { url: 'https://203.0.113.10/wake', coalesce_seconds: 30 };
  return {
    'PUT /api/v1/agents/me/wake-hook': () => ({ method: 'PUT', url: '/api/v1/agents/me/wake-hook', json: body }),
    'GET /api/v1/agents/me/wake-hook': () => ({ method: 'GET', url: '/api/v1/agents/me/wake-hook' }),
    'DELETE /api/v1/agents/me/wake-hook': () => ({ method: 'DELETE', url: '/api/v1/agents/me/wake-hook' }),
    'PUT /api/v1/agents/:id/wake-hook': () => ({
      method: 'PUT',
      url: `/api/v1/agents/${agentId}/wake-hook`,
      json: body,
    }),
    'GET /api/v1/agents/:id/wake-hook': () => ({ method: 'GET', url: `/api/v1/agents/${agentId}/wake-hook` }),
    'DELETE /api/v1/agents/:id/wake-hook': () => ({ method: 'DELETE', url: `/api/v1/agents/${agentId}/wake-hook` }),
  };
}
