// npm run bench — every benchmark, one after the other; each writes its section of docs/BENCHMARKS.md.
await import('./ingest.js');
await import('./rooms.js');
await import('./alerts.js');
await import('./search.js');
await import('./coordination.js');
