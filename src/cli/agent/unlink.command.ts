import { AgentHubClient } from '../../client/index.js';
import { AgentCliError, describeFailure, EXIT } from './errors.js';
import { lockHolder } from './lock.js';
import { AgentStore } from './store.js';

/** `agenthub agent unlink`: revokes the refresh token (and its family) on the server, then deletes the local files. */
export async function unlinkCommand(options: { force?: boolean }): Promise<void> {
  const store = new AgentStore();
  const holder = lockHolder(store.dir);
  if (holder !== undefined && !options.force)
    throw new AgentCliError(`Stop the running agent (pid ${holder}) first, or pass --force.`, EXIT.config);
  const config = store.readConfig();
  const { refreshToken } = store.readCredentials();
  let revoked = true;
  try {
    await new AgentHubClient({ server: config.server }).revoke(refreshToken);
  } catch (error) {
    revoked = false;
    if (!options.force)
      throw new AgentCliError(
        `Could not revoke the credentials on ${config.server} (${describeFailure(error)}); nothing was deleted. ` +
          'Retry when the server is reachable, or pass --force to delete the local files anyway.',
      );
    console.error(`Warning: not revoked on the server (${describeFailure(error)}); deactivate the agent there.`);
  }
  store.removeAll();
  console.log(
    `Unlinked from ${config.server}: ${revoked ? 'credentials revoked, and ' : ''}local files in ${store.dir} deleted.`,
  );
}
