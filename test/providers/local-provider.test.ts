import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalProvider } from '../../src/providers/local/client.js';
import { ProviderError, type Instance } from '../../src/domain/provider.js';
import { freePort } from '../support/ports.js';
import { isAlive, requestThroughLb, TestCloud } from './local-support.js';

const SET = 'web';
const live = (instances: Instance[]): Instance[] => instances.filter((i) => i.state !== 'terminated');
const allServing =
  (count: number) =>
  (instances: Instance[]): boolean =>
    live(instances).length === count && live(instances).every((i) => i.state === 'running' && i.healthy);

async function rejectsWith(promise: Promise<unknown>, code: string, retryable: boolean): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.retryable, retryable);
    return true;
  });
}

describe('local provider against a real local cloud', () => {
  let cloud: TestCloud;
  let provider: LocalProvider;
  let first: Instance[];

  before(async () => {
    cloud = await TestCloud.create({ instanceLimit: 8 });
    provider = cloud.provider;
  });
  after(async () => {
    await cloud?.destroy();
  });

  it('lists its instance types with speed and price', async () => {
    const types = await provider.instanceTypes();
    assert.deepEqual(
      types.map((t) => [t.name, t.speed]),
      [
        ['local.small', 1],
        ['local.medium', 2],
        ['local.large', 4],
      ],
    );
    assert.ok(types.every((t) => t.hourlyPrice > 0));
  });

  it('provisions 3 instances that become healthy and answer through the load balancer', async () => {
    first = await provider.provision({
      resourceSetId: SET,
      count: 3,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'launch-1',
    });
    assert.equal(first.length, 3);
    assert.ok(
      first.every((i) => i.state === 'pending' && !i.healthy),
      'acknowledged before they boot',
    );
    await cloud.waitFor(SET, allServing(3));
    const answers = await requestThroughLb(cloud.lbUrl, SET, 30);
    assert.deepEqual(
      answers.filter((a) => a.status !== 200),
      [],
    );
    assert.deepEqual(new Set(answers.map((a) => a.instance)), new Set(first.map((i) => i.id)));
  });

  it('launches nothing for a token already used, and refuses it with different parameters', async () => {
    const again = await provider.provision({
      resourceSetId: SET,
      count: 3,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'launch-1',
    });
    assert.deepEqual(
      again.map((i) => i.id),
      first.map((i) => i.id),
    );
    await rejectsWith(
      provider.provision({
        resourceSetId: SET,
        count: 4,
        instanceType: 'local.small',
        image: 'sample-service:v1',
        idempotencyToken: 'launch-1',
      }),
      'IdempotentParameterMismatch',
      false,
    );
    assert.equal(live(await provider.describeInstances(SET)).length, 3);
  });

  it('refuses an unknown instance type, an unknown image and a launch beyond the quota, without retry', async () => {
    await rejectsWith(
      provider.provision({
        resourceSetId: SET,
        count: 1,
        instanceType: 'local.huge',
        image: 'sample-service:v1',
        idempotencyToken: 'bad-type',
      }),
      'InvalidInstanceType',
      false,
    );
    await rejectsWith(
      provider.provision({
        resourceSetId: SET,
        count: 1,
        instanceType: 'local.small',
        image: 'nginx:latest',
        idempotencyToken: 'bad-image',
      }),
      'InvalidImage',
      false,
    );
    await rejectsWith(
      provider.provision({
        resourceSetId: SET,
        count: 6,
        instanceType: 'local.small',
        image: 'sample-service:v1',
        idempotencyToken: 'too-many',
      }),
      'InstanceLimitExceeded',
      false,
    );
    await rejectsWith(
      provider.deprovision({ resourceSetId: SET, instanceIds: ['i-nope'], idempotencyToken: 'bad-id' }),
      'InvalidInstanceID.NotFound',
      false,
    );
    assert.equal(live(await provider.describeInstances(SET)).length, 3);
  });

  it('deprovisions an instance under load without failing a request', async () => {
    const victim = first[0]!.id;
    const request = { resourceSetId: SET, instanceIds: [victim], drainSeconds: 5, idempotencyToken: 'drain-1' };
    let acknowledged = false;
    let stop = false;
    const statuses: number[] = [];
    let sentToVictimAfterAck = 0;
    const client = async (): Promise<void> => {
      // Bounded: at most 500 requests per client, and it ends once the instance is gone.
      for (let i = 0; i < 500 && !stop; i++) {
        const afterAck = acknowledged;
        const response = await fetch(`${cloud.lbUrl}/rs/${SET}/work`);
        await response.arrayBuffer();
        statuses.push(response.status);
        if (afterAck && response.headers.get('x-prescale-instance-id') === victim) sentToVictimAfterAck++;
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await new Promise((r) => setTimeout(r, 300));
    // The cloud's own API first, to know when the termination was acknowledged; the provider's
    // call with the same token then launches no second termination and waits for the outcome.
    const ack = await fetch(`${cloud.started.apiUrl}/instances/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cloud.started.token}` },
      body: JSON.stringify({
        instanceIds: request.instanceIds,
        resourceSetId: SET,
        drainSeconds: request.drainSeconds,
        clientToken: request.idempotencyToken,
      }),
    });
    acknowledged = true;
    assert.equal(((await ack.json()) as { instances: Instance[] }).instances[0]?.state, 'draining');
    const [terminated] = await provider.deprovision(request);
    stop = true;
    await Promise.all(clients);
    assert.equal(terminated?.state, 'terminated');
    assert.ok(statuses.length > 20, `only ${statuses.length} requests were made`);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
    assert.equal(sentToVictimAfterAck, 0, 'a draining instance gets no new request');
    const described = await provider.describeInstances(SET);
    assert.equal(described.find((i) => i.id === victim)?.state, 'terminated', 'describe still shows it, as terminated');
    const state = await cloud.state();
    assert.ok(
      !isAlive(state.instances[victim]!.app.pid!) && !isAlive(state.instances[victim]!.agent.pid!),
      'its processes are gone',
    );
  });

  it('takes an instance whose app died out of the load balancer', async () => {
    const sick = first[1]!.id;
    process.kill((await cloud.state()).instances[sick]!.app.pid!, 'SIGKILL');
    await cloud.waitFor(SET, (all) => all.find((i) => i.id === sick)?.healthy === false);
    const answers = await requestThroughLb(cloud.lbUrl, SET, 10);
    assert.deepEqual(
      answers.map((a) => [a.status, a.instance]),
      answers.map(() => [200, first[2]!.id]),
    );
  });

  it('after a SIGKILL restart adopts the running instance, restarts the broken one, orphans and duplicates nothing', async () => {
    const [, sick, healthy] = first.map((i) => i.id) as [string, string, string];
    const before = await cloud.state();
    cloud.started.child.process.kill('SIGKILL');
    await cloud.started.child.exited;
    assert.ok(isAlive(before.instances[healthy]!.app.pid!), 'instances outlive their cloud');
    cloud.options.stopInstancesOnExit = true;
    await cloud.start();

    const instances = await cloud.waitFor(SET, allServing(2));
    assert.deepEqual(
      live(instances)
        .map((i) => i.id)
        .sort(),
      [sick, healthy].sort(),
    );
    const after = await cloud.state();
    assert.deepEqual(after.instances[healthy]!.app, before.instances[healthy]!.app, 'adopted: same process');
    assert.notEqual(after.instances[sick]!.app.pid, before.instances[sick]!.app.pid, 'restarted');
    assert.ok(!isAlive(before.instances[sick]!.agent.pid!), "the broken one's old agent was stopped");

    const processes = await cloud.runningProcesses();
    assert.deepEqual(processes.agents, [after.instances[sick]!.agent.pid, after.instances[healthy]!.agent.pid].sort());
    assert.deepEqual(processes.apps, [after.instances[sick]!.app.pid, after.instances[healthy]!.app.pid].sort());

    const replayed = await provider.provision({
      resourceSetId: SET,
      count: 3,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'launch-1',
    });
    assert.deepEqual(
      replayed.map((i) => i.id),
      first.map((i) => i.id),
      'the old token launches nothing',
    );
    assert.equal(replayed[0]!.state, 'terminated');
    assert.equal((await cloud.runningProcesses()).agents.length, 2);
    const answers = await requestThroughLb(cloud.lbUrl, SET, 20);
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
  });

  it('replaces an instance with another type: the new one serves before the old one goes', async () => {
    const old = first[1]!.id;
    const [fresh] = await provider.replace({
      resourceSetId: SET,
      instanceIds: [old],
      instanceType: 'local.medium',
      idempotencyToken: 'replace-1',
    });
    assert.equal(fresh?.instanceType, 'local.medium');
    assert.equal(fresh?.state, 'running');
    const instances = await provider.describeInstances(SET);
    assert.equal(instances.find((i) => i.id === old)?.state, 'terminated');
    assert.deepEqual(
      live(instances)
        .map((i) => i.id)
        .sort(),
      [first[2]!.id, fresh.id].sort(),
    );
    const again = await provider.replace({
      resourceSetId: SET,
      instanceIds: [old],
      instanceType: 'local.medium',
      idempotencyToken: 'replace-1',
    });
    assert.deepEqual(
      again.map((i) => i.id),
      [fresh.id],
      'a retried replace launches nothing more',
    );
  });

  it("starts a replacement's app on the configuration it was given, not on its defaults", async () => {
    const config = { version: 5, params: { poolSize: 3, cacheSize: 50, queueLimit: 7 } };
    const [fresh] = await provider.replace({
      resourceSetId: SET,
      instanceIds: [first[2]!.id],
      config,
      idempotencyToken: 'replace-configured',
    });
    const app = (await cloud.state()).instances[fresh!.id]!.app;
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${app.port}/config`)).json(), config);
  });

  it('reports an unreachable cloud as retryable', async () => {
    const nowhere = new LocalProvider({
      url: `http://127.0.0.1:${await freePort()}`,
      token: 'no-cloud-listens-here',
      requestTimeoutMs: 2_000,
    });
    await rejectsWith(nowhere.health(), 'Unavailable', true);
    await rejectsWith(nowhere.describeInstances(SET), 'Unavailable', true);
  });

  it('stops every instance process on exit when told to', async () => {
    await cloud.started.child.stop(20_000);
    assert.deepEqual(await cloud.runningProcesses(), { agents: [], apps: [] });
  });
});
