import { subscribe } from '../lib/events.js';
import { agentChannel, credentialChannel } from '../realtime/socket-events.js';
import type { SocketFeature } from '../realtime/socket-feature.js';

/**
 * A revoked credential or agent loses its live sockets at once, told why first. The transport joins each
 * socket to its agent's and its credential's channel at connect (and on auth:refresh), so these find it.
 */
export const revocationSockets: SocketFeature = (nsp, ctx) => {
  // Local only: with Redis, the event fan-out runs this on every instance, and a second broadcast
  // through the adapter could reach a socket between its instance's own error and disconnect.
  const revoke = (channel: string) => {
    nsp.local
      .in(channel)
      .emit('error', { error: 'revoked', message: 'This agent was deactivated or its credentials revoked.' });
    nsp.local.in(channel).disconnectSockets(true);
  };
  // Deactivation revokes the agent's credentials first, so both paths must say why before closing.
  return subscribe(ctx.events, {
    'agent.revoked': ({ agentId }) => revoke(agentChannel(agentId)),
    'credential.revoked': ({ credentialId }) => revoke(credentialChannel(credentialId)),
  });
};
