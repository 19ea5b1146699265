import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openDatabase } from '../../src/db/client.js';

/**
 * Fills `<dataDir>/pglite` (where a server with that DATA_DIR keeps its embedded
 * database) from the run's migrated snapshot, which is several times faster than
 * a first start's initdb. Without a snapshot (Postgres runs) the server creates it.
 */
export async function preloadEmbeddedDatabase(dataDir: string): Promise<void> {
  const snapshot = inject('pgliteSnapshot');
  if (!snapshot) return;
  const database = await openDatabase({
    dataDir: join(dataDir, 'pglite'),
    loadDataDir: new Blob([readFileSync(snapshot)]),
  });
  await database.close();
}
