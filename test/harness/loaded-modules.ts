/**
 * Run as a child process (`node --import tsx`): builds the whole app on an
 * in-memory PGlite with the environment's REDIS_URL, closes it, and prints the
 * CommonJS packages that were loaded, as JSON. Tests read it to prove what a
 * configuration pulls in, in a process no other test has touched.
 */
import { createRequire } from 'node:module';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';

const redisUrl = process.env['REDIS_URL'];
const database = await openDatabase({});
const { app } = await buildApp({
  config: testConfig({ LOG_LEVEL: 'silent', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) }),
  database,
});
await app.close();
await database.close();
const packages = new Set<string>();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.replaceAll('\\', '/'));
  if (match?.[1]) packages.add(match[1]);
}
process.stdout.write(JSON.stringify([...packages].sort()) + '\n');
