import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';

const COMMANDS: Record<string, string[]> = {
  link: [
    '--server <url>',
    '--server-id <id>',
    '--name <name>',
    '--interval <seconds>',
    '--label <key=value>',
    '--force',
  ],
  run: ['--once', '--ticks <n>', '--interval <seconds>', '--spool-max <n>', '--verbose'],
  status: ['--json'],
  send: ['--room <room>', '--reply-to <seq>', '<text...>'],
  listen: ['--room <room>'],
  inbox: ['--limit <n>', '--ack', '--json'],
  dm: ['<agent_id>', '<text...>', '--reply-to <seq>'],
  claim: ['<room>', '<resource>', '--ttl <seconds>', '--shared', '--note <text>', '--json'],
  release: ['<room>', '<claim_id>'],
  'wake-hook': ['set', 'show', 'delete'],
  'wake-hook set': ['<url>', '--room-mentions', '--coalesce <seconds>', '--rotate-secret', '--json'],
  'wake-hook show': ['--json'],
  'wake-hook delete': [],
  unlink: ['--force'],
};
/** The commands the group's own help lists (the others are listed by their group, `wake-hook`). */
const TOP_LEVEL = Object.keys(COMMANDS).filter((name) => !name.includes(' '));

describe('agenthub agent --help (command line)', () => {
  it('documents the agent command group and every command in it', async () => {
    const [group, ...commands] = await Promise.all([
      runCli(['agent', '--help']),
      ...Object.keys(COMMANDS).map((name) => runCli(['agent', ...name.split(' '), '--help'])),
    ]);
    expect(group).toMatchObject({ code: 0, stderr: '' });
    for (const name of TOP_LEVEL) expect(group.stdout).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
    expect(group.stdout).toContain('AGENTHUB_CONFIG_DIR');
    expect(group.stdout).toMatch(/3 credentials rejected/);
    expect(group.stdout).toMatch(/4 claim refused/);
    Object.entries(COMMANDS).forEach(([name, flags], i) => {
      const result = commands[i]!;
      expect(result, name).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage: agenthub agent ${name} `));
      for (const flag of flags) expect(result.stdout, `${name} ${flag}`).toContain(flag);
    });
    expect((await runCli(['--help'])).stdout).toMatch(/^\s+agent\s/m);
  }, 120_000);
});
