import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { idempotencyKey } from '../../src/providers/aws/intent-tags.js';
import { ProviderError } from '../../src/domain/provider.js';
import type { FakeAws } from '../fixtures/aws/fake-aws.js';
import {
  groupName,
  inService,
  oldImage,
  providerFor,
  resourceSetId,
  standardGroup,
  templateId,
} from '../fixtures/aws/world.js';

let fake: FakeAws | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(world: FakeAws): Promise<string> {
  fake = world;
  return world.start();
}

describe('AwsProvider against recorded AWS API shapes', () => {
  it('describes the group: Auto Scaling lifecycle and health mapped, EC2 details joined', async () => {
    const world = standardGroup();
    world.progress = false;
    world.group.instances.push(
      inService(4, { health: 'Unhealthy' }),
      inService(5, { lifecycle: 'Pending:Wait', launchTime: '2026-01-10T09:00:00.000Z' }),
      inService(6, { lifecycle: 'Terminating:Wait' }),
      inService(7, { lifecycle: 'Standby' }),
    );
    const provider = providerFor(await start(world));

    const instances = await provider.describeInstances(resourceSetId);

    const [describe, ec2] = world.requests;
    assert.equal(describe?.action, 'DescribeAutoScalingGroups');
    assert.equal(describe?.params['AutoScalingGroupNames.member.1'], groupName);
    assert.equal(ec2?.action, 'DescribeInstances');
    assert.equal(ec2?.params['Filter.1.Name'], 'tag:aws:autoscaling:groupName');
    assert.equal(ec2?.params['Filter.1.Value.1'], groupName);
    assert.deepEqual(
      instances.map((i) => [i.id.slice(-1), i.state, i.healthy]),
      [
        ['1', 'running', true],
        ['2', 'running', true],
        ['3', 'running', true],
        ['4', 'running', false],
        ['5', 'pending', false],
        ['6', 'draining', false],
        ['7', 'draining', false],
      ],
    );
    assert.deepEqual(instances[0], {
      id: 'i-07f3c9a1b2d3e0001',
      resourceSetId,
      instanceType: 'm5.large',
      image: oldImage,
      launchedAt: '2026-01-10T08:01:00.000Z',
      agentUrl: 'http://10.0.0.11:9464',
      state: 'running',
      healthy: true,
    });
  });

  it('reports a missing group as a non-retryable GroupNotFound', async () => {
    const provider = providerFor(await start(standardGroup()));
    await assert.rejects(
      provider.describeInstances('no-such-set'),
      (e: unknown) => e instanceof ProviderError && e.code === 'GroupNotFound' && !e.retryable,
    );
  });

  it('provision records the token on the group, raises desired capacity once, and a retry adds nothing', async () => {
    const world = standardGroup();
    const provider = providerFor(await start(world));
    const request = {
      resourceSetId,
      count: 2,
      instanceType: 'm5.large',
      image: oldImage,
      idempotencyToken: 'resource-set-web/loop-41/provision',
    };

    const first = await provider.provision(request);

    const mutations = world.requests.filter(
      (r) => r.action !== 'DescribeAutoScalingGroups' && r.action !== 'DescribeInstances',
    );
    assert.deepEqual(
      mutations.map((r) => r.action),
      ['CreateOrUpdateTags', 'SetDesiredCapacity'],
    );
    const [tag, set] = mutations;
    assert.equal(tag?.params['Tags.member.1.ResourceId'], groupName);
    assert.equal(tag?.params['Tags.member.1.ResourceType'], 'auto-scaling-group');
    assert.equal(tag?.params['Tags.member.1.Key'], 'prescale:provision');
    assert.equal(tag?.params['Tags.member.1.PropagateAtLaunch'], 'false');
    assert.deepEqual(JSON.parse(tag?.params['Tags.member.1.Value'] ?? ''), {
      token: request.idempotencyToken,
      from: 3,
      to: 5,
      at: JSON.parse(tag?.params['Tags.member.1.Value'] ?? '').at,
    });
    assert.deepEqual(set?.params, {
      Action: 'SetDesiredCapacity',
      Version: '2011-01-01',
      AutoScalingGroupName: groupName,
      DesiredCapacity: '5',
      HonorCooldown: 'false',
    });
    assert.equal(first.length, 2);
    assert.ok(
      first.every((i) => i.state === 'pending' && i.resourceSetId === resourceSetId && i.instanceType === 'm5.large'),
    );

    const retried = await provider.provision(request);

    assert.equal(world.calls('SetDesiredCapacity').length, 1);
    assert.equal(world.calls('CreateOrUpdateTags').length, 1);
    assert.equal(world.group.desired, 5);
    assert.deepEqual(
      retried.map((i) => i.id),
      first.map((i) => i.id),
    );
  });

  it('provision retried after failing between the tag and SetDesiredCapacity applies the recorded target exactly once', async () => {
    const world = standardGroup();
    world.fail('SetDesiredCapacity', {
      status: 500,
      code: 'InternalFailure',
      message: 'An internal error has occurred.',
    });
    const provider = providerFor(await start(world));
    const request = {
      resourceSetId,
      count: 1,
      instanceType: 'm5.large',
      image: oldImage,
      idempotencyToken: 'resource-set-web/loop-42/provision',
    };

    await assert.rejects(
      provider.provision(request),
      (e: unknown) => e instanceof ProviderError && e.code === 'InternalFailure' && e.retryable,
    );
    assert.equal(world.group.desired, 3);

    const launched = await provider.provision(request);
    await provider.provision(request);

    assert.deepEqual(
      world.calls('SetDesiredCapacity').map((r) => r.params.DesiredCapacity),
      ['4', '4'],
    );
    assert.equal(world.calls('CreateOrUpdateTags').length, 1);
    assert.equal(world.group.desired, 4);
    assert.equal(launched.length, 1);
  });

  it('provision beyond MaxSize fails without retry and changes nothing', async () => {
    const world = standardGroup();
    const provider = providerFor(await start(world));

    await assert.rejects(
      provider.provision({
        resourceSetId,
        count: 4,
        instanceType: 'm5.large',
        image: oldImage,
        idempotencyToken: 't-max',
      }),
      (e: unknown) =>
        e instanceof ProviderError && e.code === 'MaxSizeExceeded' && !e.retryable && /MaxSize 6/.test(e.message),
    );
    assert.deepEqual(
      world.requests.map((r) => r.action),
      ['DescribeAutoScalingGroups'],
    );
  });

  it('deprovision terminates each member with decrement, skips unknown ids, waits until gone, and a retry does nothing', async () => {
    const world = standardGroup();
    const provider = providerFor(await start(world));
    const [a, b] = [inService(1).id, inService(2).id];
    const request = {
      resourceSetId,
      instanceIds: [a, 'i-0123456789abcdef0', b],
      drainSeconds: 30,
      idempotencyToken: 'resource-set-web/loop-43/deprovision',
    };

    const terminated = await provider.deprovision(request);

    assert.deepEqual(
      world.calls('TerminateInstanceInAutoScalingGroup').map((r) => r.params),
      [
        {
          Action: 'TerminateInstanceInAutoScalingGroup',
          Version: '2011-01-01',
          InstanceId: a,
          ShouldDecrementDesiredCapacity: 'true',
        },
        {
          Action: 'TerminateInstanceInAutoScalingGroup',
          Version: '2011-01-01',
          InstanceId: b,
          ShouldDecrementDesiredCapacity: 'true',
        },
      ],
    );
    assert.equal(world.group.desired, 1);
    assert.deepEqual(
      world.group.instances.map((i) => i.id),
      [inService(3).id],
    );
    assert.deepEqual(
      terminated.map((i) => [i.id, i.state, i.healthy, i.instanceType]),
      [
        [a, 'terminated', false, 'm5.large'],
        [b, 'terminated', false, 'm5.large'],
      ],
    );

    assert.deepEqual(
      (await provider.deprovision(request)).map((i) => i.id),
      [a, b],
    );
    assert.equal(world.calls('TerminateInstanceInAutoScalingGroup').length, 2);
    assert.equal(world.group.desired, 1);
  });

  it('deprovision treats "Instance Id not found" from a member that left meanwhile as done', async () => {
    const world = standardGroup();
    const provider = providerFor(await start(world));
    const id = inService(3).id;
    world.fail('TerminateInstanceInAutoScalingGroup', {
      status: 400,
      code: 'ValidationError',
      message: `Instance Id not found - No managed instance found for instance ID: ${id}`,
      // Detached by someone else between our describe and our terminate.
      effect: () => {
        world.group.instances = world.group.instances.filter((i) => i.id !== id);
      },
    });

    await provider.deprovision({ resourceSetId, instanceIds: [id], idempotencyToken: 't-race' });
    assert.equal(world.calls('TerminateInstanceInAutoScalingGroup').length, 1);
  });

  it('replace makes a launch template version with the token, surges, waits for InService, then retires the old with decrement', async () => {
    const world = standardGroup();
    world.group.version = '$Default';
    world.defaultVersion = 2;
    world.templateVersions.push({ number: 3, type: 'c5.large', image: 'ami-0abcdef1234567890' }); // $Latest, not what the group runs
    const provider = providerFor(await start(world));
    const old = [inService(1).id, inService(2).id];
    const request = {
      resourceSetId,
      instanceIds: old,
      instanceType: 'm5.xlarge',
      idempotencyToken: 'rollout-web-v7/step-1/replace',
    };

    const replacements = await provider.replace(request);

    const [create] = world.calls('CreateLaunchTemplateVersion');
    assert.deepEqual(create?.params, {
      Action: 'CreateLaunchTemplateVersion',
      Version: '2016-11-15',
      LaunchTemplateId: templateId,
      SourceVersion: '2',
      ClientToken: request.idempotencyToken,
      VersionDescription: `prescale ${request.idempotencyToken}`,
      'LaunchTemplateData.InstanceType': 'm5.xlarge',
    });
    assert.deepEqual(
      world
        .calls('UpdateAutoScalingGroup')
        .map((r) => [r.params['LaunchTemplate.LaunchTemplateId'], r.params['LaunchTemplate.Version']]),
      [[templateId, '4']],
    );
    assert.deepEqual(
      world.calls('SetDesiredCapacity').map((r) => r.params.DesiredCapacity),
      ['5'],
    );
    const order = world.requests
      .map((r) => r.action)
      .filter((a) => a === 'SetDesiredCapacity' || a === 'TerminateInstanceInAutoScalingGroup');
    assert.deepEqual(order, [
      'SetDesiredCapacity',
      'TerminateInstanceInAutoScalingGroup',
      'TerminateInstanceInAutoScalingGroup',
    ]);
    assert.deepEqual(
      world
        .calls('TerminateInstanceInAutoScalingGroup')
        .map((r) => [r.params.InstanceId, r.params.ShouldDecrementDesiredCapacity]),
      [
        [old[0], 'true'],
        [old[1], 'true'],
      ],
    );
    assert.equal(world.group.desired, 3);
    assert.deepEqual(world.group.instances.map((i) => i.type).sort(), ['m5.large', 'm5.xlarge', 'm5.xlarge']);
    assert.equal(replacements.length, 2);
    assert.ok(
      replacements.every(
        (i) => i.instanceType === 'm5.xlarge' && i.state === 'running' && i.healthy && !old.includes(i.id),
      ),
    );

    const again = await provider.replace(request);

    assert.equal(world.calls('CreateLaunchTemplateVersion').length, 2);
    assert.deepEqual(
      world.calls('CreateLaunchTemplateVersion')[1]?.params,
      create?.params,
      'the retry sends the same token and source version',
    );
    assert.equal(world.templateVersions.length, 4, 'EC2 answered the retry with the version it made the first time');
    assert.equal(world.calls('UpdateAutoScalingGroup').length, 1);
    assert.equal(world.calls('SetDesiredCapacity').length, 1);
    assert.equal(world.calls('TerminateInstanceInAutoScalingGroup').length, 2);
    assert.deepEqual(again.map((i) => i.id).sort(), replacements.map((i) => i.id).sort());
  });

  it('replace that cannot surge within MaxSize changes nothing', async () => {
    const world = standardGroup();
    world.group.max = 4;
    const provider = providerFor(await start(world));

    await assert.rejects(
      provider.replace({
        resourceSetId,
        instanceIds: [inService(1).id, inService(2).id],
        image: 'ami-0abcdef1234567890',
        idempotencyToken: 't-surge',
      }),
      (e: unknown) => e instanceof ProviderError && e.code === 'MaxSizeExceeded' && !e.retryable,
    );
    assert.deepEqual(
      world.requests.map((r) => r.action),
      ['DescribeAutoScalingGroups'],
    );
  });

  it('instanceTypes reads vCPUs from DescribeInstanceTypes and prices from the table, NaN when unknown', async () => {
    const world = standardGroup();
    const provider = providerFor(await start(world), { instanceTypes: ['m5.xlarge', 'm7i-flex.large', 'm5.large'] });

    const types = await provider.instanceTypes();

    assert.deepEqual(
      world.calls('DescribeInstanceTypes').map((r) => r.params),
      [
        {
          Action: 'DescribeInstanceTypes',
          Version: '2016-11-15',
          'InstanceType.1': 'm5.xlarge',
          'InstanceType.2': 'm7i-flex.large',
          'InstanceType.3': 'm5.large',
        },
      ],
    );
    assert.deepEqual(types, [
      { name: 'm5.large', speed: 1, hourlyPrice: 0.096 },
      { name: 'm5.xlarge', speed: 2, hourlyPrice: 0.192 },
      { name: 'm7i-flex.large', speed: 1, hourlyPrice: Number.NaN },
    ]);
  });

  it('health is one DescribeAutoScalingGroups with MaxRecords=1', async () => {
    const world = standardGroup();
    await providerFor(await start(world)).health();
    assert.deepEqual(
      world.requests.map((r) => r.params),
      [{ Action: 'DescribeAutoScalingGroups', Version: '2011-01-01', MaxRecords: '1' }],
    );
  });
});

describe('aws idempotency keys', () => {
  it('pass tokens EC2 accepts through and hash longer or non-ASCII ones to a stable 64-character key', () => {
    const short = 'resource-set-web/loop-41/provision';
    assert.equal(idempotencyKey(short), short);
    const long = `resource-set-${'x'.repeat(200)}/loop-1/replace`;
    assert.match(idempotencyKey(long), /^[0-9a-f]{64}$/);
    assert.equal(idempotencyKey(long), idempotencyKey(long));
    assert.match(idempotencyKey('größe/1'), /^[0-9a-f]{64}$/);
  });
});
