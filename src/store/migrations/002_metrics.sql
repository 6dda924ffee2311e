-- Raw agent samples. (instance_id, seq) is the key an agent's retry repeats, so a batch sent twice
-- is stored once. No foreign key to resource_sets: samples outlive a resource set's row and
-- retention, not cascades, decides when they go.
CREATE TABLE metric_samples (
  instance_id              text NOT NULL,
  seq                      bigint NOT NULL,
  resource_set_id          text NOT NULL,
  ts                       timestamptz NOT NULL,
  interval_ms              integer NOT NULL,
  requests                 bigint NOT NULL,
  errors                   bigint NOT NULL,
  latency_p50_ms           double precision,
  latency_p95_ms           double precision,
  latency_p99_ms           double precision,
  pool_utilization         double precision,
  queue_depth              double precision,
  cpu_percent              double precision,
  memory_bytes             double precision,
  process_cpu_percent      double precision,
  process_rss_bytes        double precision,
  net_rx_bytes_per_sec     double precision,
  net_tx_bytes_per_sec     double precision,
  disk_read_bytes_per_sec  double precision,
  disk_write_bytes_per_sec double precision,
  custom                   jsonb NOT NULL DEFAULT '{}',
  received_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, seq)
);
CREATE INDEX metric_samples_set_ts ON metric_samples (resource_set_id, ts);
-- Retention deletes by age across every resource set.
CREATE INDEX metric_samples_ts ON metric_samples (ts);

-- Per-minute demand of a resource set, summed from the samples whose interval ends in the minute.
-- Maintained at ingest from the rows actually inserted. Sums are double precision so that no
-- volume of (valid) input can overflow them; counts stay exact below 2^53.
CREATE TABLE demand_minutely (
  resource_set_id          text NOT NULL,
  minute                   timestamptz NOT NULL,
  requests                 double precision NOT NULL,
  errors                   double precision NOT NULL,
  samples                  bigint NOT NULL,
  -- Σ interval seconds: ÷ 60 is the mean number of instances reporting during the minute.
  instance_seconds         double precision NOT NULL,
  -- Σ p95 × requests and Σ requests of the samples that had a p95: their ratio is the
  -- request-weighted mean p95, the usual approximation of the fleet's p95.
  latency_p95_weighted     double precision NOT NULL,
  latency_p95_requests     double precision NOT NULL,
  pool_utilization_sum     double precision NOT NULL,
  pool_utilization_samples bigint NOT NULL,
  PRIMARY KEY (resource_set_id, minute)
);
CREATE INDEX demand_minutely_minute ON demand_minutely (minute);
