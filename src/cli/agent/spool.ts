import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../client/index.js';
import { ensureDir, writeFileAtomic } from './files.js';

interface Segment {
  name: string;
  count: number;
  /** No more appends: it is being replayed, or its last line may be torn. */
  sealed: boolean;
}

const SEGMENT = /^(\d{12})\.jsonl$/;

/**
 * A bounded on-disk queue of snapshots the server could not take yet, oldest
 * first. It is a directory of small JSONL segments (one replay batch each), so
 * replaying a batch deletes one file and dropping the oldest entries rewrites
 * one small file, whatever the depth.
 */
export class Spool {
  private segments: Segment[] = [];

  constructor(
    readonly dir: string,
    readonly max: number,
    readonly segmentSize = 100,
  ) {
    ensureDir(dir, 0o700);
    for (const name of readdirSync(dir)
      .filter((n) => SEGMENT.test(n))
      .sort()) {
      const text = readFileSync(join(dir, name), 'utf8');
      const count = parseLines(text).length;
      // A crash can leave a torn last line: never append after it.
      this.segments.push({ name, count, sealed: text.length > 0 && !text.endsWith('\n') });
    }
  }

  get depth(): number {
    return this.segments.reduce((sum, s) => sum + s.count, 0);
  }

  /** Appends durably; returns how many of the oldest entries were dropped to stay within `max`. */
  append(sample: Sample): number {
    let last = this.segments.at(-1);
    if (!last || last.sealed || last.count >= this.segmentSize) {
      last = { name: segmentName(last ? sequenceOf(last) + 1 : 1), count: 0, sealed: false };
      this.segments.push(last);
    }
    const fd = openSync(join(this.dir, last.name), 'a', 0o600);
    try {
      writeSync(fd, JSON.stringify(sample) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    last.count += 1;
    return this.trim();
  }

  /**
   * The oldest batch. Call `done()` once the server has taken it (or refused it
   * for good) and it is removed; until then it stays on disk.
   */
  oldest(): { samples: Sample[]; done(): void } | undefined {
    for (;;) {
      const first = this.segments[0];
      if (!first) return undefined;
      first.sealed = true;
      const samples = parseLines(readFileSync(join(this.dir, first.name), 'utf8'));
      if (samples.length === 0) {
        this.remove(first);
        continue;
      }
      return { samples, done: () => this.remove(first) };
    }
  }

  private remove(segment: Segment): void {
    rmSync(join(this.dir, segment.name), { force: true });
    this.segments = this.segments.filter((s) => s !== segment);
  }

  private trim(): number {
    let excess = this.depth - this.max;
    let dropped = 0;
    while (excess > 0) {
      const first = this.segments[0];
      if (!first) break;
      if (first.count <= excess) {
        this.remove(first);
      } else {
        const kept = parseLines(readFileSync(join(this.dir, first.name), 'utf8')).slice(excess);
        writeFileAtomic(join(this.dir, first.name), kept.map((s) => JSON.stringify(s) + '\n').join(''));
        dropped += first.count - kept.length;
        excess -= first.count - kept.length;
        first.count = kept.length;
        first.sealed = true;
        continue;
      }
      dropped += first.count;
      excess -= first.count;
    }
    return dropped;
  }
}

function parseLines(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const value = JSON.parse(line) as Sample;
      if (typeof value.timestamp === 'number' && typeof value.metrics === 'object') samples.push(value);
    } catch {
      // A torn line from a crash mid-append: skipped.
    }
  }
  return samples;
}

function segmentName(sequence: number): string {
  return `${String(sequence).padStart(12, '0')}.jsonl`;
}

function sequenceOf(segment: Segment): number {
  return Number(SEGMENT.exec(segment.name)?.[1] ?? 0);
}
