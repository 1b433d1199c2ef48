// Prometheus metrics (prom-client), one registry per hub instance so that tests can run several side by side:
// request latency per route, the index sizes, records ingested, the work waiting (requests in flight, ingest
// batches waiting for their tenant's lock), checkpoints signed or refused, plus Node's process metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IndexSet } from '../index/tenant-index.ts';

export class HubMetrics {
  readonly registry = new Registry();
  readonly latency: Histogram<'method' | 'route' | 'status'>;
  readonly ingested: Counter<'status'>;
  readonly inFlight: Gauge;
  readonly ingestQueue: Gauge;
  /** Checkpoints this process signed, and signings that failed (a refused inconsistent log among them), by code. */
  readonly checkpoints: Counter<'outcome'>;

  constructor(indexes: IndexSet) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'hub_' });
    this.latency = new Histogram({
      name: 'hub_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.ingested = new Counter({ name: 'hub_records_ingested_total', help: 'Records pushed by desks, accepted or replayed', labelNames: ['status'], registers });
    this.inFlight = new Gauge({ name: 'hub_http_requests_in_flight', help: 'Requests being served', registers });
    this.ingestQueue = new Gauge({ name: 'hub_ingest_queue_depth', help: 'Ingest batches being checked or waiting for their tenant lock', registers });
    this.checkpoints = new Counter({ name: 'hub_tlog_checkpoints_total', help: 'Transparency-log checkpoints: signed, or failed with an error code (LOG_INCONSISTENT: the stored log no longer extends the last checkpoint)', labelNames: ['outcome'], registers });
    new Gauge({
      name: 'hub_index_codes',
      help: 'Codes in the in-memory verification index, by index',
      labelNames: ['index'],
      registers,
      collect() {
        const sum = { phash: 0, payload: 0, segments: 0 };
        for (const t of indexes.tenants()) {
          const s = t.sizes;
          sum.phash += s.phash;
          sum.payload += s.payload;
          sum.segments += s.segments;
        }
        for (const [k, v] of Object.entries(sum)) this.set({ index: k }, v);
      },
    });
    new Gauge({
      name: 'hub_index_tenants',
      help: 'Tenants with an in-memory index',
      registers,
      collect() {
        this.set(indexes.tenants().length);
      },
    });
  }
}
