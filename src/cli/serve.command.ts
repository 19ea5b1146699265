import { loadConfig } from '../config.js';
import { runServer } from '../server.js';

export async function serveCommand(): Promise<void> {
  await runServer(loadConfig());
}
