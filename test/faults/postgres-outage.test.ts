import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresOutageTrial } from './postgres-outage-trial.js';
import { postgresBinDir } from './throwaway-postgres.js';

describe(
  'Postgres stopped for 30 s (a throwaway cluster; real API, worker, loop, local cloud and agents)',
  { skip: postgresBinDir() ? false : 'no PostgreSQL server binaries here (set PG_BIN)' },
  () => {
    it('the API answers 503, activities retry, agents buffer; afterwards all recovers and every sample is stored once', async () => {
      const report = await postgresOutageTrial({ outageSeconds: 30, log: console.log });
      console.log(JSON.stringify(report, null, 1));
      assert.equal(report.during.readyz.status, 503);
      assert.equal(report.during.readyz.postgresOk, false, '/readyz names postgres');
      assert.deepEqual(report.during.list, { status: 503, code: 'database_unavailable' });
      assert.ok(
        (report.during.retried?.attempt ?? 0) >= 3,
        `a loop activity retried through the outage (${JSON.stringify(report.during.retried)})`,
      );
      assert.ok(
        report.during.buffered.every((b) => b >= 2),
        `the agents buffered (${report.during.buffered.join(', ')})`,
      );

      assert.equal(report.after.readyz, 200);
      assert.equal(report.after.list, 200);
      assert.ok(report.outcome.completed, report.outcome.problems.join('; '));
      for (const s of report.samples) {
        assert.ok(s.max >= s.made, `${s.instanceId}: stored up to seq ${s.max}, made ${s.made}`);
        assert.equal(s.distinct, s.max + 1, `${s.instanceId}: every seq 0..${s.max} stored`);
        assert.equal(s.rows, s.distinct, `${s.instanceId}: none stored twice`);
        assert.equal(s.dropped, 0, `${s.instanceId}: the agent dropped none`);
      }
      assert.equal(report.outcome.lost, 0);
      assert.deepEqual(report.outcome.duplicated, [], 'no instance launched twice, no sample stored twice');
      assert.deepEqual(report.outcome.leaked, []);
    });
  },
);
