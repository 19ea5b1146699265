import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ENV_EXAMPLE_PATH,
  README_PATH,
  describeEnv,
  renderEnvExample,
  renderReadme,
} from '../../scripts/gen-env-example.js';
import { envSchema } from '../../src/config.js';
import { createMetrics } from '../../src/observability/metrics.js';

describe('configuration documentation', () => {
  it('documents every variable of envSchema with a description', () => {
    const variables = describeEnv();
    expect(variables.map((v) => v.name)).toEqual(Object.keys(envSchema.shape));
    for (const v of variables) expect(v.description, v.name).not.toBe('');
  });

  it('has a committed .env.example equal to the generated one (run npm run env:example)', () => {
    expect(readFileSync(ENV_EXAMPLE_PATH, 'utf8')).toBe(renderEnvExample());
  });

  it('has a README configuration table equal to the generated one (run npm run env:example)', async () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(await renderReadme(readme));
    for (const name of Object.keys(envSchema.shape)) expect(readme).toContain(`| \`${name}\``);
  });

  it('lists defaults in the form the environment accepts', () => {
    const byName = new Map(describeEnv().map((v) => [v.name, v]));
    expect(byName.get('ACCESS_TOKEN_TTL')?.defaultValue).toBe('15m');
    expect(byName.get('MIGRATE_ON_START')?.defaultValue).toBe('true');
    expect(byName.get('PORT')?.defaultValue).toBe('3000');
    expect(byName.get('JWT_SECRET')?.defaultValue).toBeUndefined();
    expect(byName.get('NODE_ENV')?.choices).toEqual(['development', 'production', 'test']);
  });
});

describe('metrics documentation, dashboard and alert rules', () => {
  const exported = (() => {
    const metrics = createMetrics();
    const names = new Set<string>();
    for (const metric of metrics.registry.getMetricsAsArray()) names.add(metric.name);
    return names;
  })();
  const ours = [...exported].filter((n) => !/^agenthub_(process|nodejs)_/.test(n));
  /** Series a PromQL expression may use for a metric family: histograms add _bucket, _sum and _count. */
  const family = (series: string) => series.replace(/_(bucket|sum|count)$/, '');
  const referenced = (text: string) => [...new Set(text.match(/\bagenthub_[a-z0-9_]+/g) ?? [])];

  it('lists every metric AgentHub exports in docs/METRICS.md', () => {
    const doc = readFileSync('docs/METRICS.md', 'utf8');
    for (const name of ours) expect(doc, name).toContain(`\`${name}\``);
  });

  it.each(['docs/METRICS.md', 'docs/grafana-dashboard.json', 'deploy/prometheus-rules.yml'])(
    '%s names only metrics that exist',
    (path) => {
      const unknown = referenced(readFileSync(path, 'utf8')).filter(
        (n) => !exported.has(n) && !exported.has(family(n)),
      );
      expect(unknown).toEqual([]);
    },
  );
});
