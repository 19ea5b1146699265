import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/lib/paths.js';

const REDIS_PACKAGES = ['ioredis', '@socket.io/redis-adapter'];

/** The packages a freshly started process loads to build the app with `env` (see harness/loaded-modules.ts). */
async function packagesLoaded(env: Record<string, string>): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(packageRoot, 'test', 'harness', 'loaded-modules.ts')],
    { cwd: packageRoot, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe('a single instance without REDIS_URL', () => {
  it('builds the app without loading ioredis or the socket.io Redis adapter, which REDIS_URL does load', async () => {
    // An address nothing listens on: the control only needs the code paths, not a Redis.
    const [single, scaled] = await Promise.all([
      packagesLoaded({}),
      packagesLoaded({ REDIS_URL: 'redis://127.0.0.1:1' }),
    ]);
    expect(single).toContain('fastify');
    expect(single).not.toEqual(expect.arrayContaining([expect.stringMatching(/redis/)]));
    // The control: the same check sees both packages once REDIS_URL is set.
    expect(scaled).toEqual(expect.arrayContaining(REDIS_PACKAGES));
  }, 180_000);
});
