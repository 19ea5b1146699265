// What the server under test says about its own flushes, read from its Prometheus endpoint.

export interface FlushStats {
  flushes: number;
  rows: number;
  seconds: number;
}

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/** Flushes, rows flushed and seconds spent flushing so far (agenthub_ingest_* histograms). */
export async function flushStats(serverUrl: string): Promise<FlushStats> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  return {
    flushes: sample(text, 'agenthub_ingest_batch_rows_count'),
    rows: sample(text, 'agenthub_ingest_batch_rows_sum'),
    seconds: sample(text, 'agenthub_ingest_flush_duration_seconds_sum'),
  };
}

/** What happened between two readings. */
export const flushesBetween = (a: FlushStats, b: FlushStats): FlushStats => ({
  flushes: b.flushes - a.flushes,
  rows: b.rows - a.rows,
  seconds: b.seconds - a.seconds,
});
