import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ProviderError } from '../../src/domain/provider.js';
import type { FakeAws } from '../fixtures/aws/fake-aws.js';
import { inService, oldImage, providerFor, resourceSetId, standardGroup } from '../fixtures/aws/world.js';

let fake: FakeAws | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(world: FakeAws): Promise<string> {
  fake = world;
  return world.start();
}

function isProviderError(code: string, retryable: boolean) {
  return (e: unknown) => {
    assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.retryable, retryable, `${code} retryable`);
    return true;
  };
}

describe('AwsProvider error classification against recorded AWS API shapes', () => {
  const autoScalingErrors: Array<[status: number, code: string, message: string, retryable: boolean]> = [
    [400, 'Throttling', 'Rate exceeded', true],
    [503, 'ServiceUnavailable', 'Service is unavailable. Please try again later.', true],
    [500, 'InternalFailure', 'An internal error has occurred.', true],
    [
      500,
      'ResourceContention',
      'You already have a pending update to an Auto Scaling resource (for example, a group, instance, or load balancer).',
      true,
    ],
    [400, 'ScalingActivityInProgress', 'Scaling activity 3f2e1c0d is in progress and blocks this action.', true],
    [400, 'ValidationError', 'New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup.', false],
    [400, 'LimitExceeded', 'You have reached the limit for your Auto Scaling resources.', false],
    [400, 'ResourceInUse', "The operation can't be performed because the resource is in use.", false],
    [
      403,
      'AccessDenied',
      'User: arn:aws:sts::123456789012:assumed-role/prescale/worker is not authorized to perform: autoscaling:DescribeAutoScalingGroups',
      false,
    ],
  ];
  for (const [status, code, message, retryable] of autoScalingErrors) {
    it(`Auto Scaling ${code} (HTTP ${status}) → ${retryable ? '' : 'not '}retryable, code kept`, async () => {
      const world = standardGroup();
      world.fail('DescribeAutoScalingGroups', { status, code, message });
      await assert.rejects(
        providerFor(await start(world)).health(),
        (e: unknown) => isProviderError(code, retryable)(e) && (e as Error).message === message,
      );
    });
  }

  const ec2Errors: Array<[status: number, code: string, message: string, retryable: boolean]> = [
    [503, 'RequestLimitExceeded', 'Request limit exceeded.', true],
    [500, 'InternalError', 'An internal error has occurred', true],
    [503, 'Unavailable', "The server is overloaded and can't handle the request.", true],
    [400, 'InvalidParameterValue', 'Value (m5.giant) for parameter instanceType is invalid.', false],
    [400, 'Unsupported', 'The requested configuration is currently not supported.', false],
    [403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.', false],
  ];
  for (const [status, code, message, retryable] of ec2Errors) {
    it(`EC2 ${code} (HTTP ${status}) → ${retryable ? '' : 'not '}retryable, code kept`, async () => {
      const world = standardGroup();
      world.fail('DescribeInstanceTypes', { status, code, message });
      await assert.rejects(providerFor(await start(world)).instanceTypes(), isProviderError(code, retryable));
    });
  }

  it('an unknown instance type is InvalidInstanceType, not retryable', async () => {
    const world = standardGroup();
    await assert.rejects(
      providerFor(await start(world), { instanceTypes: ['m5.giant'] }).instanceTypes(),
      isProviderError('InvalidInstanceType', false),
    );
  });

  it('throttling is retried by the SDK at most maxAttempts times, then surfaces as retryable', async () => {
    const world = standardGroup();
    world.fail('DescribeAutoScalingGroups', { status: 400, code: 'Throttling', message: 'Rate exceeded', times: 5 });
    const provider = providerFor(await start(world), { maxAttempts: 2 });

    await assert.rejects(provider.describeInstances(resourceSetId), isProviderError('Throttling', true));
    assert.equal(world.calls('DescribeAutoScalingGroups').length, 2);
  });

  it('a throttled call that succeeds within maxAttempts is invisible to the caller', async () => {
    const world = standardGroup();
    world.fail('DescribeInstances', { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' });
    const provider = providerFor(await start(world), { maxAttempts: 2 });

    assert.equal((await provider.describeInstances(resourceSetId)).length, 3);
    assert.equal(world.calls('DescribeInstances').length, 2);
  });

  it('an unanswered call times out as a retryable error', async () => {
    const world = standardGroup();
    world.fail('DescribeAutoScalingGroups', { status: 0, code: '', message: '', hang: true });
    const provider = providerFor(await start(world), { requestTimeoutMs: 200 });

    await assert.rejects(provider.health(), isProviderError('ETIMEDOUT', true));
  });

  it('an unreachable endpoint makes health() throw a retryable error', async () => {
    await assert.rejects(providerFor('http://127.0.0.1:1').health(), isProviderError('ECONNREFUSED', true));
  });

  it('ScalingActivityInProgress on terminate is retryable, and the retry terminates only what is left', async () => {
    const world = standardGroup();
    const [a, b] = [inService(1).id, inService(2).id];
    world.fail('TerminateInstanceInAutoScalingGroup', {
      status: 400,
      code: 'ScalingActivityInProgress',
      message: 'Scaling activity is in progress and blocks this action.',
      times: 1,
    });
    const provider = providerFor(await start(world));
    const request = { resourceSetId, instanceIds: [a, b], idempotencyToken: 't-busy' };

    await assert.rejects(provider.deprovision(request), isProviderError('ScalingActivityInProgress', true));
    await provider.deprovision(request);

    assert.deepEqual(
      world.calls('TerminateInstanceInAutoScalingGroup').map((r) => r.params.InstanceId),
      [a, a, b],
    );
    assert.equal(world.group.desired, 1);
  });

  it('ValidationError from SetDesiredCapacity is not retryable', async () => {
    const world = standardGroup();
    world.fail('SetDesiredCapacity', {
      status: 400,
      code: 'ValidationError',
      message: 'New SetDesiredCapacity value 5 is above max value 4 for the AutoScalingGroup.',
    });
    const provider = providerFor(await start(world));

    await assert.rejects(
      provider.provision({
        resourceSetId,
        count: 2,
        instanceType: 'm5.large',
        image: oldImage,
        idempotencyToken: 't-shrunk-max',
      }),
      isProviderError('ValidationError', false),
    );
  });
});
