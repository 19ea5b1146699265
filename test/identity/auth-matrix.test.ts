import { apiDocTableRows } from '../harness/markdown-tables.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbes } from './auth-matrix.probes.js';
import type { ProbeFor } from './auth-matrix.world.js';
import { CALLERS, COLUMN_TITLES, MATRIX, rowOf, type Caller } from './auth-matrix.table.js';
import { buildWorld, send, type MatrixWorld } from './auth-matrix.world.js';

/** Routes served by ecosystem plugins (OpenAPI viewer, static files): public, no auth config. */
const PLUGIN_PREFIXES = ['/docs', '/static/'];

/**
 * Every route of the app against every caller of the tenant-isolation matrix
 * (auth-matrix.table.ts): people, team roles, agents in and out of the tenant,
 * a revoked agent, an API token. A route missing from the table fails here.
 */
describe('the endpoint auth matrix', () => {
  let world: MatrixWorld;
  let probes: Record<string, ProbeFor>;

  beforeAll(async () => {
    world = await buildWorld();
    probes = createProbes(world);
  });
  afterAll(() => world.t.close());

  it('has an entry for every route of the app, with the auth kinds the route declares', () => {
    const declared = new Map<string, string>();
    for (const route of world.t.routes) {
      // HEAD mirrors GET; OPTIONS * is the CORS preflight (@fastify/cors), answered before any auth.
      if (route.method === 'HEAD' || route.method === 'OPTIONS') continue;
      if (!route.auth) {
        expect(
          PLUGIN_PREFIXES.some((p) => route.url.startsWith(p)),
          `${route.method} ${route.url} has no config.auth`,
        ).toBe(true);
        continue;
      }
      declared.set(`${route.method} ${route.url}`, route.auth.join(', '));
    }
    const missing = [...declared.keys()].filter((key) => !(key in MATRIX));
    expect(missing, 'routes without an auth-matrix entry (add them here and to docs/API.md)').toEqual([]);
    const stale = Object.keys(MATRIX).filter((key) => !declared.has(key));
    expect(stale, 'auth-matrix entries for routes that no longer exist').toEqual([]);
    for (const key of Object.keys(MATRIX)) expect(rowOf(key).accepts, key).toBe(declared.get(key));
    expect(Object.keys(probes).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it.each(Object.keys(MATRIX))('answers %s with the documented status for every caller', async (key) => {
    const probe = probes[key];
    if (!probe) throw new Error(`no probe for ${key}`);
    const actual = {} as Record<Caller, number>;
    for (const caller of CALLERS) actual[caller] = (await send(world, caller, await probe(caller))).statusCode;
    expect(actual).toEqual(rowOf(key).statuses);
  });

  it('serves the plugin routes (OpenAPI viewer, static files) to anyone', async () => {
    expect((await world.t.app.inject('/docs/json')).statusCode).toBe(200);
    expect((await world.t.app.inject('/static/app.css')).statusCode).toBe(200);
  });

  it('is written down, cell for cell, in docs/API.md', () => {
    const rows = apiDocTableRows('## Endpoint auth matrix') ?? [];
    expect(rows.length, 'docs/API.md has no "## Endpoint auth matrix" table').toBeGreaterThan(0);
    expect(rows[0], 'the table header').toEqual(['method', 'path', 'accepts', ...CALLERS.map((c) => COLUMN_TITLES[c])]);
    const documented: Record<string, { accepts: string; statuses: number[] }> = {};
    for (const cells of rows.slice(2)) {
      documented[`${cells[0]!} ${cells[1]!}`] = { accepts: cells[2]!, statuses: cells.slice(3).map(Number) };
    }
    const expected = Object.fromEntries(
      Object.keys(MATRIX).map((key) => {
        const row = rowOf(key);
        return [key, { accepts: row.accepts, statuses: CALLERS.map((c) => row.statuses[c]) }];
      }),
    );
    expect(documented).toEqual(expected);
  });
});
