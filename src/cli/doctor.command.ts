import { ConfigError, loadConfig } from '../config.js';
import {
  checkConfig,
  checkDatabase,
  checkFiles,
  checkRedis,
  runningServer,
  type CheckResult,
  type CheckStatus,
} from '../ops/doctor.js';

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/**
 * `agenthub doctor`: checks what a deployment needs — configuration, file permissions,
 * database reachability and migrations, clock, Redis — and says what to fix.
 * Exits 1 when a check fails (warnings alone exit 0).
 */
export async function doctorCommand(): Promise<void> {
  const results: CheckResult[] = [];
  try {
    const config = loadConfig();
    results.push(...checkConfig(config), ...(await checkFiles(config)));
    const server = await runningServer(config);
    if (server) results.push(server);
    if (server && !config.databaseUrl) {
      // PGlite allows one process per data directory: the running server holds it.
      results.push({
        name: 'database',
        status: 'ok',
        detail: 'embedded PGlite in use by the running server (see /readyz)',
      });
    } else {
      const { openConfiguredDatabase } = await import('../server.js');
      results.push(...(await checkDatabase(config, () => openConfiguredDatabase(config))));
    }
    if (config.REDIS_URL) results.push(await checkRedis(config.REDIS_URL));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    results.push({
      name: 'config',
      status: 'fail',
      detail: error.message.replace(/\n\s*/g, ' '),
      fix: 'fix the variables named above (see .env.example and the README configuration table)',
    });
  }
  print(results);
  if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
}

function print(results: CheckResult[]): void {
  const width = Math.max(...results.map((r) => r.name.length));
  console.log('AgentHub doctor');
  for (const r of results) {
    console.log(`  ${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix) console.log(`    ${' '.repeat(width)}  → ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  console.log(failed ? `${failed} problem(s) to fix.` : warned ? `No problems; ${warned} warning(s).` : 'No problems.');
}
