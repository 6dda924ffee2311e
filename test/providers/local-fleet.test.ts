import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Instance } from '../../src/domain/provider.js';
import { requestThroughLb, TestCloud } from './local-support.js';

const SET = 'fleet';
const COUNT = 20;

describe(`local cloud: ${COUNT} instances on one machine`, () => {
  let cloud: TestCloud;
  let instances: Instance[];

  before(async () => {
    cloud = await TestCloud.create({ instanceLimit: 25, healthIntervalMs: 1_000 });
  });
  after(async () => {
    await cloud?.destroy();
  });

  it(`launches ${COUNT}, all become healthy and share the load`, async () => {
    instances = await cloud.provider.provision({
      resourceSetId: SET,
      count: COUNT,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'fleet-1',
    });
    assert.equal(instances.length, COUNT);
    await cloud.waitFor(
      SET,
      (all) => all.length === COUNT && all.every((i) => i.state === 'running' && i.healthy),
      100_000,
    );
    assert.equal((await cloud.runningProcesses()).agents.length, COUNT);
    const answers = await requestThroughLb(cloud.lbUrl, SET, 2 * COUNT);
    assert.deepEqual(
      answers.filter((a) => a.status !== 200),
      [],
    );
    assert.equal(
      new Set(answers.map((a) => a.instance)).size,
      COUNT,
      'sequential requests visit every instance in turn',
    );
  });

  it('terminates them all', async () => {
    const terminated = await cloud.provider.deprovision({
      resourceSetId: SET,
      instanceIds: instances.map((i) => i.id),
      drainSeconds: 0,
      idempotencyToken: 'fleet-down',
    });
    assert.deepEqual(
      terminated.map((i) => i.state),
      instances.map(() => 'terminated'),
    );
    assert.deepEqual(await cloud.runningProcesses(), { agents: [], apps: [] });
    const unavailable = await fetch(`${cloud.lbUrl}/rs/${SET}/work`);
    assert.equal(unavailable.status, 503);
  });
});
