// A soak of a running Prescale: `writers` callers writing back to back with one valid admin key
// (policy patches, pause and resume, keys, resource sets created and deleted) while `instances`
// fake agents push samples every second, keeping what was not acknowledged and pushing it again as
// the real agent's disk buffer does. The tally says what the issue's soak counts: 5xx, wrong 401s,
// unanswered requests, audit rows missing for answered writes, samples lost or doubled.
import pg from 'pg';
import { agentToken } from '../../src/domain/agent-token.js';
import type { MetricSample } from '../../src/domain/metrics.js';
import { sample } from '../metrics/samples.js';

export interface SoakOptions {
  url: string;
  adminKey: string;
  agentSecret: string;
  /** The database the API writes to, to count audit rows and stored samples. */
  databaseUrl: string;
  seconds: number;
  writers: number;
  instances: number;
  /** Resource sets the writers share (each has a write budget of its own). */
  sets: number;
  progress?: (line: string) => void;
}

export interface SoakTally {
  /** `op status [error code]` → count, e.g. `PATCH policy 200`, `POST pause no answer`. */
  answers: Map<string, number>;
  writes: number;
  serverErrors: number;
  /** 401s on the valid key. */
  unauthorized: number;
  unanswered: number;
  auditMissing: number;
  samplesMade: number;
  samplesStored: number;
  samplesLost: number;
  /** Requests in the per-minute rollup beyond what the stored samples hold: a batch counted twice. */
  rollupExcess: number;
}

const INGEST_SET = 'soak-ingest';
const SAMPLES_PER_PUSH = 5;
const REQUESTS_PER_SAMPLE = 40;
const REQUEST_TIMEOUT_MS = 30_000;
/** One writer in this many also creates and deletes resource sets: each is a new control loop to start. */
const CHURNERS_EVERY = 10;

interface Answer {
  status: number | 'no answer';
  requestId: string | null;
  code?: string;
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return 'not json';
  }
}

async function send(url: string, token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const code = res.ok ? undefined : errorCode(text);
    return { status: res.status, requestId: res.headers.get('x-request-id'), ...(code ? { code } : {}) };
  } catch {
    return { status: 'no answer', requestId: null };
  }
}

/** Creates the shared resource sets, then runs writers and agents for `seconds` and counts. */
export async function soak(o: SoakOptions): Promise<SoakTally> {
  const log = o.progress ?? (() => undefined);
  const sets = Array.from({ length: o.sets }, (_, k) => `soak-${k}`);
  for (const id of sets) {
    const created = await send(o.url, o.adminKey, 'POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: 0,
      maxInstances: 2,
    });
    if (created.status !== 201 && created.status !== 200) throw new Error(`creating ${id}: ${created.status}`);
  }
  const answers = new Map<string, number>();
  const auditedIds: string[] = [];
  const count = (key: string): void => {
    answers.set(key, (answers.get(key) ?? 0) + 1);
  };
  const end = Date.now() + o.seconds * 1000;

  const writer = async (w: number): Promise<void> => {
    const set = sets[w % sets.length]!;
    let temporary: string | null = null;
    for (let n = 0; Date.now() < end; n++) {
      const [op, method, path, body]: [string, string, string, unknown?] = (() => {
        switch (n % (w % CHURNERS_EVERY === 0 ? 6 : 4)) {
          case 0:
            return [
              'PATCH policy',
              'PATCH',
              `/v1/resource-sets/${set}/policy`,
              { targetUtilization: n % 12 ? 0.7 : 0.6 },
            ];
          case 1:
            return ['POST pause', 'POST', `/v1/resource-sets/${set}/pause`];
          case 2:
            return ['POST resume', 'POST', `/v1/resource-sets/${set}/resume`];
          case 3:
            return ['POST key', 'POST', '/v1/keys', { role: 'viewer', name: `soak-${w}-${n}` }];
          case 4:
            temporary = `soak-tmp-${w}-${n}`;
            return [
              'POST resource set',
              'POST',
              '/v1/resource-sets',
              { id: temporary, provider: 'local', minInstances: 0, maxInstances: 1 },
            ];
          default:
            return ['DELETE resource set', 'DELETE', `/v1/resource-sets/${temporary}`];
        }
      })();
      const answer = await send(o.url, o.adminKey, method, path, body);
      count(`${op} ${answer.status}${answer.code ? ` ${answer.code}` : ''}`);
      if (answer.requestId && answer.status !== 'no answer') auditedIds.push(answer.requestId);
    }
  };

  // Each fake agent's buffer: made, not yet acknowledged, oldest first.
  const buffers: MetricSample[][] = Array.from({ length: o.instances }, () => []);
  let made = 0;
  const startedAt = Date.now() - 3_600_000;
  const push = async (i: number): Promise<boolean> => {
    const batch = buffers[i]!.slice(0, 100);
    if (batch.length === 0) return true;
    const instanceId = `i-soak-${i}`;
    const answer = await send(o.url, agentToken(o.agentSecret, instanceId), 'POST', '/v1/metrics', {
      resourceSetId: INGEST_SET,
      instanceId,
      samples: batch,
    });
    count(`POST /v1/metrics ${answer.status}`);
    if (answer.status === 202) buffers[i]!.splice(0, batch.length);
    return answer.status === 202;
  };
  const agent = async (i: number): Promise<void> => {
    for (let seq = 0; Date.now() < end;) {
      for (let k = 0; k < SAMPLES_PER_PUSH; k++, seq++, made++) {
        buffers[i]!.push(
          sample(seq, startedAt + seq * 1_000, { intervalMs: 1_000, requests: REQUESTS_PER_SAMPLE, cpuPercent: 20 }),
        );
      }
      await push(i);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };

  const timer = setInterval(() => {
    const total = [...answers.values()].reduce((a, b) => a + b, 0);
    log(`soak: ${Math.max(0, Math.round((end - Date.now()) / 1000))} s left, ${total} requests answered or given up`);
  }, 30_000);
  try {
    await Promise.all([
      ...Array.from({ length: o.writers }, (_, w) => writer(w)),
      ...Array.from({ length: o.instances }, (_, i) => agent(i)),
    ]);
  } finally {
    clearInterval(timer);
  }
  // Drain what the agents still hold, as they would once the control plane answers.
  for (let i = 0; i < o.instances; i++) {
    for (let attempt = 0; buffers[i]!.length > 0; attempt++) {
      if (attempt === 60) throw new Error(`agent ${i} still holds ${buffers[i]!.length} samples after 60 pushes`);
      if (!(await push(i))) await new Promise((r) => setTimeout(r, 500));
    }
  }

  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  try {
    // The audit row is written once the response has been sent: give the last ones a moment.
    let auditMissing = auditedIds.length;
    for (let attempt = 0; attempt < 20 && auditMissing > 0; attempt++) {
      if (attempt) await new Promise((r) => setTimeout(r, 500));
      const {
        rows: [row],
      } = await db.query<{ n: number }>(
        'SELECT count(DISTINCT request_id)::int AS n FROM audit_log WHERE request_id = ANY($1::text[])',
        [auditedIds],
      );
      auditMissing = auditedIds.length - row!.n;
    }
    const {
      rows: [stored],
    } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_samples WHERE resource_set_id = $1', [
      INGEST_SET,
    ]);
    const {
      rows: [rolled],
    } = await db.query<{ n: number }>(
      'SELECT coalesce(sum(requests), 0)::int AS n FROM demand_minutely WHERE resource_set_id = $1',
      [INGEST_SET],
    );
    const sum = (test: (key: string) => boolean): number =>
      [...answers].filter(([k]) => test(k)).reduce((a, [, v]) => a + v, 0);
    return {
      answers,
      writes: sum((k) => !k.startsWith('POST /v1/metrics')),
      serverErrors: sum((k) => / 5\d\d\b/.test(k)),
      unauthorized: sum((k) => / 401\b/.test(k)),
      unanswered: sum((k) => k.endsWith(' no answer')),
      auditMissing,
      samplesMade: made,
      samplesStored: stored!.n,
      samplesLost: made - stored!.n,
      rollupExcess: rolled!.n - stored!.n * REQUESTS_PER_SAMPLE,
    };
  } finally {
    await db.end();
  }
}

/** Every kind of answer with its count, sorted. */
export const describeAnswers = (t: SoakTally): string =>
  [...t.answers]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} × ${v}`)
    .join('; ');

/** The tally as lines of text. */
export function describeSoak(t: SoakTally): string {
  const answers = describeAnswers(t);
  return (
    `${t.writes} writes; ${t.serverErrors} 5xx, ${t.unauthorized} wrong 401s, ${t.unanswered} unanswered; ` +
    `${t.auditMissing} audit rows missing; samples ${t.samplesMade} made, ${t.samplesStored} stored, ${t.samplesLost} lost, ${t.rollupExcess} requests counted twice in the rollup\n${answers}`
  );
}
