import type { Db } from './client.js';

/**
 * Runs work in one transaction. A service that must write with another feature in one commit passes `tx`
 * to that feature's service, which writes through its own repository: nobody writes another's tables.
 */
export type RunInTransaction = <T>(work: (tx: Db) => Promise<T>) => Promise<T>;

export function transactionsOver(db: Db): RunInTransaction {
  return (work) => db.transaction((tx) => work(tx));
}
