import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import { createIngestBuffer, type IngestBufferOptions } from '../../src/modules/metrics/ingest-buffer.js';

/** A promise with its resolve and reject exposed. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run (the buffer settles writes and starts flushes in microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A fake flush that records every call and holds each one until the test releases it,
 * so the test decides exactly what is in flight and what queues behind it.
 */
function heldFlush() {
  const calls: { rows: string[]; done: ReturnType<typeof deferred> }[] = [];
  const flush = (rows: string[]) => {
    const done = deferred();
    calls.push({ rows, done });
    return done.promise;
  };
  return { calls, flush };
}

function buffer(flush: IngestBufferOptions<string>['flush'], options: Partial<IngestBufferOptions<string>> = {}) {
  return createIngestBuffer<string>({
    flush,
    maxQueuedRows: 1000,
    maxBatchRows: 100,
    concurrency: 1,
    timeoutMs: 60_000,
    ...options,
  });
}

/** Tracks a write's outcome without awaiting it. */
function track(write: Promise<void>) {
  const outcome: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  write.then(
    () => (outcome.state = 'resolved'),
    (error: unknown) => {
      outcome.state = 'rejected';
      outcome.error = error;
    },
  );
  return outcome;
}

const rows = (label: string, count: number) => Array.from({ length: count }, (_, i) => `${label}${i}`);

afterEach(() => {
  vi.useRealTimers();
});

describe('the ingest buffer (group commit)', () => {
  it('starts a flush at once when idle and resolves a write only after its rows are flushed', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush);
    const write = track(b.write(['a0', 'a1']));
    await settle();
    expect(calls.map((c) => c.rows)).toEqual([['a0', 'a1']]);
    expect(write.state).toBe('pending');
    calls[0]!.done.resolve();
    await settle();
    expect(write.state).toBe('resolved');
  });

  it('puts every write of one event-loop turn in one flush, even when the flush blocks the thread (PGlite)', async () => {
    const flushed: string[][] = [];
    // PGlite runs a statement synchronously: while it does, no request is read, so none can queue behind it.
    const b = buffer((batch) => {
      flushed.push(batch);
      const until = performance.now() + 5;
      while (performance.now() < until); // the statement, on this thread
      return Promise.resolve();
    });
    const turn = ['a', 'b', 'c'].map((label) => b.write([label]));
    await Promise.all(turn);
    const next = ['d', 'e'].map((label) => b.write([label]));
    await Promise.all(next);
    expect(flushed).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('commits the writes that queued during a flush together, in one later flush', async () => {
    const { calls, flush } = heldFlush();
    const onFlush = vi.fn<(rows: number, seconds: number) => void>();
    const b = buffer(flush, { onFlush });
    const first = track(b.write(['a0']));
    await settle();
    const queued = [track(b.write(['b0', 'b1'])), track(b.write(['c0'])), track(b.write(['d0']))];
    await settle();
    expect(calls).toHaveLength(1);
    expect(b.queuedRows).toBe(4);
    calls[0]!.done.resolve();
    await settle();
    expect(first.state).toBe('resolved');
    expect(calls.map((c) => c.rows)).toEqual([['a0'], ['b0', 'b1', 'c0', 'd0']]);
    expect(queued.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    calls[1]!.done.resolve();
    await settle();
    expect(queued.map((w) => w.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(onFlush.mock.calls.map(([count]) => count)).toEqual([1, 4]);
    expect(b.queuedRows).toBe(0);
  });

  it('never puts more than maxBatchRows rows of several writes in one flush, and flushes every row once in order', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { maxBatchRows: 5 });
    const sizes = [1, 2, 2, 2, 3, 1, 5, 4, 1, 1];
    const writes = sizes.map((size, i) => track(b.write(rows(`w${i}-`, size))));
    for (let i = 0; i < 20 && writes.some((w) => w.state === 'pending'); i++) {
      await settle();
      for (const call of calls) call.done.resolve();
    }
    expect(writes.every((w) => w.state === 'resolved')).toBe(true);
    for (const call of calls) expect(call.rows.length).toBeLessThanOrEqual(5);
    expect(calls.flatMap((c) => c.rows)).toEqual(sizes.flatMap((size, i) => rows(`w${i}-`, size)));
    expect(calls.length).toBeLessThan(sizes.length);
  });

  it('flushes a single write larger than maxBatchRows alone rather than splitting it', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { maxBatchRows: 3 });
    const big = track(b.write(rows('big', 7)));
    const small = track(b.write(['s0']));
    await settle();
    calls[0]!.done.resolve();
    await settle();
    calls[1]?.done.resolve();
    await settle();
    expect(calls.map((c) => c.rows.length)).toEqual([7, 1]);
    expect([big.state, small.state]).toEqual(['resolved', 'resolved']);
  });

  it('keeps at most `concurrency` flushes in flight', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { concurrency: 2, maxBatchRows: 1 });
    const writes = ['a', 'b', 'c', 'd'].map((label) => track(b.write([label])));
    await settle();
    expect(calls.map((c) => c.rows)).toEqual([['a'], ['b']]);
    calls[0]!.done.resolve();
    await settle();
    expect(calls.map((c) => c.rows)).toEqual([['a'], ['b'], ['c']]);
    for (const call of calls) call.done.resolve();
    await settle();
    for (const call of calls) call.done.resolve();
    await settle();
    expect(writes.every((w) => w.state === 'resolved')).toBe(true);
  });

  it('starts a flush beside the one in flight only when a whole batch waits', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { concurrency: 2, maxBatchRows: 3 });
    const writes = [track(b.write(['a']))];
    await settle();
    writes.push(...['b', 'c'].map((label) => track(b.write([label]))));
    await settle();
    expect(calls.map((c) => c.rows)).toEqual([['a']]);
    writes.push(track(b.write(['d'])));
    await settle();
    expect(calls.map((c) => c.rows)).toEqual([['a'], ['b', 'c', 'd']]);
    for (const call of calls) call.done.resolve();
    await settle();
    expect(writes.every((w) => w.state === 'resolved')).toBe(true);
  });

  it('answers 503 with Retry-After at once when the queued rows would exceed maxQueuedRows', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { maxQueuedRows: 4 });
    const inFlight = track(b.write(rows('a', 3))); // taken by the first flush: not queued any more
    await settle();
    const queued = track(b.write(rows('b', 3)));
    const tooMany = track(b.write(rows('c', 2)));
    const fits = track(b.write(rows('d', 1)));
    await settle();
    expect(tooMany.state).toBe('rejected');
    expect(tooMany.error).toBeInstanceOf(AppError);
    expect(tooMany.error).toMatchObject({ code: 'unavailable', statusCode: 503, headers: { 'retry-after': '1' } });
    expect(b.queuedRows).toBe(4);
    calls[0]!.done.resolve();
    await settle();
    calls[1]!.done.resolve();
    await settle();
    expect([inFlight.state, queued.state, fits.state]).toEqual(['resolved', 'resolved', 'resolved']);
    expect(calls.flatMap((c) => c.rows)).not.toContain('c0');
  });

  it('fails only the offending write when a shared flush fails for a reason other than an outage', async () => {
    const attempts: string[][] = [];
    const poison = new Error('value out of range');
    const gate = deferred();
    const b = buffer(async (batch) => {
      attempts.push(batch);
      if (attempts.length === 1) await gate.promise; // hold the first flush so the others queue together
      if (batch.includes('bad0')) throw poison;
    });
    const first = track(b.write(['first0']));
    await settle();
    const writes = [track(b.write(['ok0', 'ok1'])), track(b.write(['bad0'])), track(b.write(['ok2']))];
    await settle();
    gate.resolve();
    for (let i = 0; i < 10; i++) await settle();
    expect(first.state).toBe('resolved');
    expect(writes.map((w) => w.state)).toEqual(['resolved', 'rejected', 'resolved']);
    expect(writes[1]!.error).toBe(poison);
    expect(attempts).toEqual([['first0'], ['ok0', 'ok1', 'bad0', 'ok2'], ['ok0', 'ok1'], ['bad0'], ['ok2']]);
  });

  it('fails every write of a flush with 503 and Retry-After when the database is unreachable, without retrying them one by one', async () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const attempts: string[][] = [];
    const gate = deferred();
    const b = buffer(async (batch) => {
      attempts.push(batch);
      await gate.promise;
      throw outage;
    });
    const writes = [track(b.write(['a0']))];
    await settle();
    writes.push(track(b.write(['b0'])), track(b.write(['c0'])));
    await settle();
    gate.resolve();
    for (let i = 0; i < 10; i++) await settle();
    expect(writes.map((w) => w.state)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const write of writes)
      expect(write.error).toMatchObject({ code: 'unavailable', statusCode: 503, headers: { 'retry-after': '5' } });
    expect(attempts).toEqual([['a0'], ['b0', 'c0']]);
  });

  it('answers 503 with Retry-After when a write is not committed within timeoutMs, and never flushes it afterwards if it was still queued', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { timeoutMs: 1000 });
    const inFlight = track(b.write(['a0']));
    await settle();
    const queued = track(b.write(['b0']));
    await vi.advanceTimersByTimeAsync(999);
    expect([inFlight.state, queued.state]).toEqual(['pending', 'pending']);
    await vi.advanceTimersByTimeAsync(1);
    expect([inFlight.state, queued.state]).toEqual(['rejected', 'rejected']);
    for (const write of [inFlight, queued])
      expect(write.error).toMatchObject({ code: 'unavailable', statusCode: 503, headers: { 'retry-after': '2' } });
    const later = track(b.write(['c0']));
    calls[0]!.done.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.rows)).toEqual([['a0'], ['c0']]);
    calls[1]!.done.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(later.state).toBe('resolved');
    expect(b.queuedRows).toBe(0);
  });

  it('gives every write its own timeoutMs from when it arrived, and leaves no timer behind once all are answered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { calls, flush } = heldFlush();
    const b = buffer(flush, { timeoutMs: 1000 });
    const first = track(b.write(['a0']));
    await vi.advanceTimersByTimeAsync(600);
    const second = track(b.write(['b0']));
    await vi.advanceTimersByTimeAsync(400);
    expect([first.state, second.state]).toEqual(['rejected', 'pending']);
    await vi.advanceTimersByTimeAsync(599);
    expect(second.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(second.state).toBe('rejected');
    expect(vi.getTimerCount()).toBe(0);

    const third = track(b.write(['c0']));
    expect(vi.getTimerCount()).toBe(1);
    calls[0]!.done.resolve();
    await vi.advanceTimersByTimeAsync(0);
    calls[1]!.done.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(third.state).toBe('resolved');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drains at once when idle, and otherwise only after every queued and in-flight write is flushed', async () => {
    const { calls, flush } = heldFlush();
    const b = buffer(flush);
    await b.drain();
    const writes = [track(b.write(['a0']))];
    await settle();
    writes.push(track(b.write(['b0'])), track(b.write(['c0'])));
    const drained = track(b.drain());
    await settle();
    calls[0]!.done.resolve();
    await settle();
    expect(drained.state).toBe('pending');
    expect(calls).toHaveLength(2);
    calls[1]!.done.resolve();
    await settle();
    expect(writes.map((w) => w.state)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(drained.state).toBe('resolved');
  });

  it('drains after a failed flush too, so shutdown cannot hang on an outage', async () => {
    const b = buffer(() => Promise.reject(Object.assign(new Error('Connection terminated'), { code: 'ECONNRESET' })));
    const write = track(b.write(['a0']));
    await b.drain();
    await settle();
    expect(write.state).toBe('rejected');
  });
});
