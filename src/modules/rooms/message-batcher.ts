import type { Histogram } from 'prom-client';
import type { InsertedMessage, NewMessage, RoomsRepository } from './rooms.repository.js';

interface Pending {
  message: NewMessage;
  resolve: (row: InsertedMessage | undefined) => void;
  reject: (error: unknown) => void;
}

/** Unique violation: a client_msg_id already stored for that sender and room. */
const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  const codes = [(error as { code?: unknown }).code, ((error as { cause?: { code?: unknown } }).cause ?? {}).code];
  return codes.includes(UNIQUE_VIOLATION);
}

/**
 * Group commit for sends, per room: the first send into an idle room is stored at once; sends that
 * arrive while that statement runs wait and go together in the next one (up to `maxBatch`). Each send
 * is answered only once its own row is committed, with its seq in arrival order. Sends into one room
 * serialize on the room's row lock anyway; batching turns N lock waits and commits into one.
 */
export function createMessageBatcher(
  repository: RoomsRepository,
  { maxBatch, batchRows }: { maxBatch: number; batchRows: Histogram },
) {
  const queues = new Map<string, Pending[]>();

  async function flush(roomId: string, queue: Pending[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      batchRows.observe(batch.length);
      try {
        const rows = await repository.insertMessages(
          roomId,
          batch.map((p) => p.message),
        );
        // Empty when the room was archived: every send in the batch is refused alike.
        batch.forEach((p, i) => p.resolve(rows[i]));
      } catch (error) {
        if (batch.length === 1 || !isUniqueViolation(error)) batch.forEach((p) => p.reject(error));
        // A retried client_msg_id fails the whole statement: store the others one by one, so only it fails.
        else
          for (const p of batch)
            await repository.insertMessages(roomId, [p.message]).then(([row]) => p.resolve(row), p.reject);
      }
    }
    queues.delete(roomId);
  }

  return {
    /** Stores one message; undefined when the room is archived (or gone). */
    insert(message: NewMessage): Promise<InsertedMessage | undefined> {
      return new Promise((resolve, reject) => {
        const queued = queues.get(message.roomId);
        if (queued) {
          queued.push({ message, resolve, reject });
          return;
        }
        const queue: Pending[] = [{ message, resolve, reject }];
        queues.set(message.roomId, queue);
        void flush(message.roomId, queue);
      });
    },
  };
}
