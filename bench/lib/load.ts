import autocannon from 'autocannon';

export interface LoadResult {
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Requests sent, including those still in flight when the run stopped. */
  sent: number;
  durationSeconds: number;
}

export interface LoadOptions {
  label: string;
  url: string;
  connections: number;
  durationSeconds: number;
  /** A fixed offered load (requests per second over all connections) instead of as fast as possible. */
  overallRate?: number;
  /** Called for every request: return its body and extra headers. */
  next: () => { body: string | Buffer; headers?: Record<string, string> };
}

/** Drives one HTTP endpoint with autocannon and reports throughput and latency percentiles. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let sent = 0;
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          sent++;
          const { body, headers } = options.next();
          return { ...request, body, headers: { ...request.headers, ...headers } };
        },
      },
    ],
  });
  return {
    label: options.label,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    sent,
    durationSeconds: options.durationSeconds,
  };
}
