import { expect } from 'vitest';
import { addUser, formBody } from '../harness/identity.js';
import { SETUP_IP, suffix, type MatrixWorld } from './auth-matrix.world.js';

/**
 * Fresh resources a probe acts on, so that a request that changes state
 * (deactivate, archive, remove, approve...) leaves the next cell's world as it
 * was. Agents and rooms belong to the owner's team, where the team roles apply.
 */
export function createDisposables(world: MatrixWorld) {
  const { t, setup, setupAdmin, teamId } = world;
  const { owner } = world.people;
  const agentId = world.agents.agent.agent.id;

  async function pendingDevice(): Promise<{ device_code: string; user_code: string }> {
    const res = await setup('POST', '/api/v1/agents/register', {
      device_name: 'Matrix box',
      device_info: { server_id: `srv-${suffix()}` },
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function approvedOAuthDevice(): Promise<string> {
    const body = formBody({ client_id: 'matrix', server_id: `srv-${suffix()}` });
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/device_authorization',
      remoteAddress: SETUP_IP,
      headers: body.headers,
      payload: body.payload,
    });
    const { device_code, user_code } = res.json<{ device_code: string; user_code: string }>();
    const approve = await setup('POST', '/api/v1/agent-link/approve', { user_code }, setupAdmin);
    expect(approve.statusCode).toBe(200);
    return device_code;
  }

  /** A room of the owner's team with the fixture agent as a member, that a probe may archive. */
  async function disposableRoom(): Promise<string> {
    const res = await setup(
      'POST',
      '/api/v1/rooms',
      { slug: `room-${suffix()}`, name: 'Disposable', team_id: teamId },
      owner,
    );
    expect(res.statusCode).toBe(201);
    const id = res.json<{ room: { id: string } }>().room.id;
    const add = await setup('POST', `/api/v1/rooms/${id}/members`, { agent_id: agentId }, owner);
    expect(add.statusCode).toBe(201);
    return id;
  }

  /** An agent of the owner's team that a probe may deactivate, replace or regenerate. */
  async function disposableAgent(): Promise<{ id: string; serverId: string }> {
    const serverId = `srv-${suffix()}`;
    const res = await setup(
      'POST',
      '/api/v1/agents',
      { name: `disposable-${suffix()}`, server_id: serverId, owner_id: owner.id, team_id: teamId },
      setupAdmin,
    );
    expect(res.statusCode).toBe(201);
    return { id: res.json<{ agent: { id: string } }>().agent.id, serverId };
  }

  /** A person with no password (they are only ever the subject of a probe). */
  const subject = () => addUser(t, setupAdmin, { password: null });

  /** A viewer of the owner's team that a probe may remove. */
  async function disposableViewer(): Promise<string> {
    const person = await subject();
    const add = await setup('POST', `/api/v1/teams/${teamId}/members`, { email: person.email, role: 'viewer' }, owner);
    expect(add.statusCode).toBe(201);
    return person.id;
  }

  return { pendingDevice, approvedOAuthDevice, disposableRoom, disposableAgent, disposableViewer, subject };
}
