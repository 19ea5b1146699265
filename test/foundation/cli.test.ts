import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';

// Each case starts real Node processes (tsx transpiles the CLI's import graph): allow for a busy machine.
describe('the agenthub command line', { timeout: 120_000 }, () => {
  it('prints usage for --help, serve --help, migrate --help and seed --help and exits 0', async () => {
    const [root, serve, migrate, seed] = await Promise.all([
      runCli(['--help']),
      runCli(['serve', '--help']),
      runCli(['migrate', '--help']),
      runCli(['seed', '--help']),
    ]);

    expect(root).toMatchObject({ code: 0, stderr: '' });
    expect(root.stdout).toMatch(/^Usage: agenthub \[options\] \[command\]/);
    for (const command of ['serve', 'migrate', 'seed'])
      expect(root.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));

    for (const [name, result] of Object.entries({ serve, migrate, seed })) {
      expect(result, name).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage: agenthub ${name} \\[options\\]`));
    }
    expect(serve.stdout).toContain('MIGRATE_ON_START');
  });

  it('exits 1 with usage on an unknown command instead of starting the server', async () => {
    // serve is the default command, so commander reports the stray argument against it.
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/frobnicate|too many arguments/);
    expect(result.stderr).toMatch(/Usage: agenthub/);
  });

  it('exits 78 (EX_CONFIG) naming the variable when the configuration is invalid', async () => {
    const result = await runCli(['migrate'], { PORT: 'abc', DATA_DIR: '/nonexistent/agenthub' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/PORT: /);
  });
});
