import os from 'node:os';
import {
  AgentHubClient,
  DeviceFlowDeniedError,
  DeviceFlowExpiredError,
  type DeviceAuthorization,
} from '../../client/index.js';
import { AgentCliError, EXIT, toCliError } from './errors.js';
import { waitProgress, type WaitProgress } from './progress.js';
import { AgentStore, DEFAULT_INTERVAL_SECONDS } from './store.js';
import { agentVersion, parseInterval, parseLabels } from './options.js';

export interface LinkOptions {
  server: string;
  serverId: string;
  name?: string;
  interval?: string;
  label?: string[];
  force?: boolean;
}

function printCode(a: DeviceAuthorization): void {
  console.log(`To link this machine, open ${a.verificationUri} and enter the code:\n`);
  console.log(`    ${a.userCode}\n`);
  console.log(`or open ${a.verificationUriComplete}`);
}

/** `agenthub agent link`: the RFC 8628 device flow, then credentials and config.yaml on disk. */
export async function linkCommand(options: LinkOptions): Promise<void> {
  const server = options.server.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(server)) throw new AgentCliError('--server: expected an http(s) URL.');
  if (options.serverId.length < 3) throw new AgentCliError('--server-id: at least 3 characters.');
  const interval = parseInterval(options.interval ?? String(DEFAULT_INTERVAL_SECONDS));
  const labels = parseLabels(options.label ?? []);
  const store = new AgentStore();
  if (store.isLinked()) {
    if (!options.force)
      throw new AgentCliError(
        `Already linked (${store.config}). Run \`agenthub agent unlink\` first, or pass --force to replace ` +
          'the local credentials without revoking them.',
        EXIT.config,
      );
    store.removeAll();
  }
  const fingerprint = store.ensureFingerprint();
  const client = new AgentHubClient({ server, onRotate: (tokens) => store.saveTokens(tokens) });
  const controller = new AbortController();
  const cancel = () => controller.abort(new AgentCliError('Cancelled.', 130));
  process.once('SIGINT', cancel).once('SIGTERM', cancel);
  let progress: WaitProgress | undefined;
  let pollInterval = 0;
  try {
    const tokens = await client.link({
      deviceName: options.name ?? os.hostname(),
      serverId: options.serverId,
      deviceInfo: {
        server_id: options.serverId,
        hostname: os.hostname(),
        os: os.platform(),
        kernel: os.release(),
        arch: os.arch(),
        version: agentVersion(),
      },
      fingerprint,
      signal: controller.signal,
      onCode: (a) => {
        printCode(a);
        pollInterval = a.interval;
        progress = waitProgress(Date.now() + a.expiresIn * 1000);
      },
      onPoll: (state) => {
        if (state.interval !== pollInterval) progress?.interval(state.interval);
        pollInterval = state.interval;
      },
    });
    progress?.stop();
    store.saveTokens(tokens);
    store.writeConfig({
      server,
      server_id: options.serverId,
      ...(options.name ? { name: options.name } : {}),
      interval,
      labels,
      spool_max: 10_000,
    });
    const { agent } = await client.me();
    console.log(`Linked: agent ${agent.name} (${agent.id}), server_id ${options.serverId}, on ${server}.`);
    console.log(`Credentials are in ${store.tokens}. Start sending metrics with: agenthub agent run`);
  } catch (error) {
    progress?.stop();
    if (controller.signal.aborted) throw controller.signal.reason;
    if (error instanceof DeviceFlowDeniedError) throw new AgentCliError('The link request was denied.');
    if (error instanceof DeviceFlowExpiredError)
      throw new AgentCliError('The code expired before anyone approved it; run `agenthub agent link` again.');
    throw toCliError(error);
  } finally {
    process.off('SIGINT', cancel).off('SIGTERM', cancel);
  }
}
