import assert from 'node:assert/strict';
import type { Release } from '../../src/config/release.js';
import type { ConfigurationPolicy } from '../../src/domain/resource-set.js';
import type { RolloutOptionsInput } from '../../src/config/rollout-options.js';
import type { TuningProgress } from '../../src/workflows/tuning-messages.js';
import { uniqueId } from '../support/api.js';
import { waitFor, type RolloutHarness } from '../rollout/support.js';

/**
 * A two-instance set for tuning sessions: steady traffic of about three requests at a time per
 * instance, which queues on the two workers of the release it runs (a template version with pool
 * size 2), and `rollout` as the set's rollout options: how trials are judged and a winner rolled out.
 */
export async function tuningFleet(
  h: RolloutHarness,
  id: string,
  configuration: Partial<ConfigurationPolicy>,
  rollout: RolloutOptionsInput,
): Promise<{
  traffic: { stop(): Promise<void> };
  stable: Release;
}> {
  const created = await h.api.request('POST', '/v1/resource-sets', {
    id,
    provider: 'local',
    minInstances: 2,
    maxInstances: 2,
    policy: { intervalSeconds: 5, configuration: { everySeconds: 3600, ...configuration } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitFor(
    async () => (await h.instances(id)).filter((i) => i.state === 'running' && i.healthy).length === 2,
    90_000,
  );
  const traffic = h.traffic(id, { concurrency: 6, pauseMs: 20, maxSeconds: 900 });
  try {
    const template = uniqueId('base');
    const version = await h.template(template, {
      instanceType: 'local.small',
      softwareVersion: 'v1',
      params: { poolSize: 2, cacheSize: 100, queueLimit: 32 },
    });
    // In one step: a canary step, cold after being reconfigured, can fail against the warm rest.
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template,
      version,
      rollout: { ...rollout, steps: [{ percent: 100 }] },
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    await waitFor(async () => (await h.rollouts(id)).length > 0, 30_000);
    assert.equal((await h.finished(id)).status, 'promoted');
    // The same version again changes nothing on the fleet, only the options kept for what comes next.
    const kept = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, { template, version, rollout });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    return { traffic, stable: await stableOf(h, id) };
  } catch (err) {
    // The caller never gets the traffic to stop: stop it here, or it outlives the test.
    await traffic.stop();
    throw err;
  }
}

export async function stableOf(h: RolloutHarness, id: string): Promise<Release> {
  return (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config.stable as Release;
}

/** Waits for a tuning session to end and answers it. */
export async function finishedSession(
  h: RolloutHarness,
  id: string,
  sessionId: string,
  timeoutMs = 360_000,
): Promise<TuningProgress> {
  let session: TuningProgress | undefined;
  await waitFor(
    async () => {
      const res = await h.api.request('GET', `/v1/resource-sets/${id}/tuning/${sessionId}`);
      session = res.status === 200 ? (res.body as TuningProgress) : undefined;
      return session?.finishedAt != null;
    },
    timeoutMs,
    2_000,
  );
  return session!;
}
