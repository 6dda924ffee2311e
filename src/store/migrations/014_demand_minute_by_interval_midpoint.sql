-- Per-minute demand now counts a sample in the minute holding its interval's midpoint, not the one
-- holding its end (ts): the last interval of a minute ended on the next minute's edge and was
-- counted there (see SAMPLE_MINUTE_SQL in src/store/metrics.ts, whose expression is repeated here).
-- Ingest applies the new rule from now on; this restates the roll-up for the raw samples still
-- kept, so that history and new minutes follow one rule. Older roll-ups, whose samples retention
-- has deleted, keep the old attribution: a shift of one sample interval.
--
-- Each moved sample's contribution is taken from the minute its end fell in and added to its
-- midpoint's, as net changes per minute, so one statement touches each row once and a seeded
-- (backfilled) amount stays. A sample whose old row retention has already deleted is not in the
-- roll-up any more and is left alone. A row whose samples all moved out stays with zero samples:
-- it reads as the zero demand a missing row reads as.
WITH moved AS (
  SELECT resource_set_id, interval_ms, requests, errors, latency_p95_ms, pool_utilization,
         to_timestamp(floor(extract(epoch FROM ts) / 60) * 60) AS old_minute,
         to_timestamp(floor((extract(epoch FROM ts) - interval_ms / 2000.0) / 60) * 60) AS new_minute
    FROM metric_samples
), kept AS (
  SELECT m.* FROM moved m
   WHERE m.old_minute <> m.new_minute
     AND EXISTS (SELECT 1 FROM demand_minutely d WHERE d.resource_set_id = m.resource_set_id AND d.minute = m.old_minute)
), signed AS (
  SELECT kept.*, -1 AS sign, old_minute AS minute FROM kept
  UNION ALL
  SELECT kept.*, 1 AS sign, new_minute AS minute FROM kept
)
INSERT INTO demand_minutely AS d (resource_set_id, minute, requests, errors, samples, instance_seconds,
  latency_p95_weighted, latency_p95_requests, pool_utilization_sum, pool_utilization_samples)
SELECT resource_set_id, minute,
  sum(sign * requests), sum(sign * errors), sum(sign), sum(sign * interval_ms) / 1000.0,
  coalesce(sum(sign * latency_p95_ms * requests), 0),
  coalesce(sum(sign * requests) FILTER (WHERE latency_p95_ms IS NOT NULL), 0),
  coalesce(sum(sign * pool_utilization), 0), coalesce(sum(sign) FILTER (WHERE pool_utilization IS NOT NULL), 0)
FROM signed GROUP BY resource_set_id, minute
ON CONFLICT (resource_set_id, minute) DO UPDATE SET
  requests = d.requests + EXCLUDED.requests,
  errors = d.errors + EXCLUDED.errors,
  samples = d.samples + EXCLUDED.samples,
  instance_seconds = d.instance_seconds + EXCLUDED.instance_seconds,
  latency_p95_weighted = d.latency_p95_weighted + EXCLUDED.latency_p95_weighted,
  latency_p95_requests = d.latency_p95_requests + EXCLUDED.latency_p95_requests,
  pool_utilization_sum = d.pool_utilization_sum + EXCLUDED.pool_utilization_sum,
  pool_utilization_samples = d.pool_utilization_samples + EXCLUDED.pool_utilization_samples;
