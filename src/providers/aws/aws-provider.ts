import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingClientConfig,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  ProviderError,
  type DeprovisionRequest,
  type Instance,
  type InstanceType,
  type Provider,
  type ProvisionRequest,
  type ReplaceRequest,
} from '../../domain/provider.js';
import {
  describeGroup,
  launchTemplateOf,
  pointGroupAt,
  setDesiredCapacity,
  terminateInGroup,
} from './auto-scaling-group.js';
import { describeGroupInstances, describeInstanceTypes } from './ec2-instances.js';
import { aws } from './errors.js';
import { formerInstance, memberInstance } from './instances.js';
import {
  idempotencyKey,
  readIntent,
  replaceIntentSchema,
  scaleIntentSchema,
  tagKeys,
  writeIntent,
  type ReplaceIntent,
  type ScaleIntent,
} from './intent-tags.js';
import { createVersion, resolveVersion } from './launch-template.js';
import { isHealthy, isLeaving } from './lifecycle.js';
import { usEast1OnDemandPrices } from './on-demand-prices.js';
import { poll } from './poll.js';

export interface AwsPolling {
  /** Between two DescribeAutoScalingGroups while waiting. */
  intervalMs: number;
  /** How long provision waits for the new instances to be listed (not to be ready) before returning what is there. */
  listTimeoutMs: number;
  /** How long replace waits for replacements to be InService, and deprovision for terminations (plus drainSeconds). */
  timeoutMs: number;
}

export interface AwsProviderOptions {
  /** Defaults to the SDK's own resolution (AWS_REGION, the shared config file, instance metadata). */
  region?: string;
  /** A VPC endpoint, or the recorded-API server in tests; used for both Auto Scaling and EC2. */
  endpoint?: string;
  /** Defaults to the SDK's provider chain (environment, shared files, SSO, instance or task role). */
  credentials?: AutoScalingClientConfig['credentials'];
  /** Attempts per AWS call, first included, inside the SDK's own backoff; Temporal retries on top. */
  maxAttempts?: number;
  /** A call unanswered for this long fails as a retryable TimeoutError. */
  requestTimeoutMs?: number;
  /** The resource set's Auto Scaling group: wire to its `providerRef`; defaults to the resource set id. */
  groupName?: (resourceSetId: string) => string | Promise<string>;
  /** The port Prescale's agent listens on inside each instance; agentUrl uses the private address. */
  agentPort?: number;
  /** The instance types instanceTypes() offers; defaults to those with a known price. */
  instanceTypes?: readonly string[];
  /** On-demand US$ per hour by type; defaults to us-east-1 Linux. Missing types report NaN. */
  hourlyPrices?: Readonly<Record<string, number>>;
  polling?: Partial<AwsPolling>;
}

const defaultPolling: AwsPolling = { intervalMs: 5_000, listTimeoutMs: 60_000, timeoutMs: 15 * 60_000 };

/**
 * Launch times come from AWS's clock and the intent's time from ours: an instance launched up to
 * this long before a provision is counted as that provision's, which only ever misattributes an
 * instance Auto Scaling launched on its own (a health replacement) in that window.
 */
const clockSkewMs = 30_000;

type Member = NonNullable<AutoScalingGroup['Instances']>[number] & { InstanceId: string };

function membersOf(group: AutoScalingGroup): Member[] {
  return (group.Instances ?? []).filter((m): m is Member => m.InstanceId !== undefined);
}

/** SetDesiredCapacity cannot exceed MaxSize; raising MaxSize is the operator's decision, not ours. */
function assertHeadroom(name: string, group: AutoScalingGroup, count: number): void {
  const desired = group.DesiredCapacity ?? 0;
  const max = group.MaxSize ?? 0;
  if (desired + count > max) {
    throw new ProviderError(
      `${name}: desired capacity ${desired} + ${count} exceeds the group's MaxSize ${max}`,
      'MaxSizeExceeded',
      false,
    );
  }
}

/**
 * EC2 Auto Scaling as a Provider: each resource set is one Auto Scaling group whose launch template
 * says what to launch. The group is the truth about which instances exist; this adapter only moves
 * its desired capacity, terminates named members and swaps its launch template version.
 */
export class AwsProvider implements Provider {
  readonly name = 'aws';
  readonly #autoScaling: AutoScalingClient;
  readonly #ec2: EC2Client;
  readonly #groupName: (resourceSetId: string) => string | Promise<string>;
  readonly #agentPort: number | undefined;
  readonly #catalogue: readonly string[];
  readonly #prices: Readonly<Record<string, number>>;
  readonly #polling: AwsPolling;

  constructor(options: AwsProviderOptions = {}) {
    const config = {
      ...(options.region !== undefined && { region: options.region }),
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.credentials !== undefined && { credentials: options.credentials }),
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting on a silent peer.
      requestHandler: {
        requestTimeout: options.requestTimeoutMs ?? 20_000,
        connectionTimeout: 5_000,
        throwOnRequestTimeout: true,
      },
    };
    this.#autoScaling = new AutoScalingClient(config);
    this.#ec2 = new EC2Client(config);
    this.#groupName = options.groupName ?? ((resourceSetId) => resourceSetId);
    this.#agentPort = options.agentPort;
    this.#prices = options.hourlyPrices ?? usEast1OnDemandPrices;
    this.#catalogue = options.instanceTypes ?? Object.keys(this.#prices);
    this.#polling = { ...defaultPolling, ...options.polling };
  }

  async instanceTypes(): Promise<InstanceType[]> {
    return describeInstanceTypes(this.#ec2, this.#catalogue, this.#prices);
  }

  async describeInstances(resourceSetId: string): Promise<Instance[]> {
    const name = await this.#groupName(resourceSetId);
    return this.#instancesOf(resourceSetId, name, membersOf(await describeGroup(this.#autoScaling, name)));
  }

  /**
   * Launches what the group's launch template says; the request's instanceType and image are not
   * applied here (changing them is replace()'s job). Returns this request's instances once Auto
   * Scaling lists them, most still pending.
   */
  async provision(request: ProvisionRequest): Promise<Instance[]> {
    const name = await this.#groupName(request.resourceSetId);
    const group = await describeGroup(this.#autoScaling, name);
    const intent = await this.#raiseDesired(name, group, request.count, request.idempotencyToken, tagKeys.provision);
    const since = Date.parse(intent.at) - clockSkewMs;
    const { value: launched } = await poll(
      async () =>
        (await this.describeInstances(request.resourceSetId)).filter(
          (i) => (i.state === 'pending' || i.state === 'running') && Date.parse(i.launchedAt) >= since,
        ),
      (instances) => instances.length >= intent.to - intent.from,
      { intervalMs: this.#polling.intervalMs, timeoutMs: this.#polling.listTimeoutMs },
    );
    return launched;
  }

  /**
   * Terminates each named member with ShouldDecrementDesiredCapacity, so Auto Scaling does not
   * replace it, and waits until they are gone. Draining is the group's: Auto Scaling deregisters the
   * instance from its target groups and waits out their deregistration delay, then runs any
   * termination lifecycle hook, before it terminates; drainSeconds only lengthens the wait. Ids that
   * are not (or no longer) members are done already and never sent to AWS, since
   * TerminateInstanceInAutoScalingGroup would act on an instance in any group.
   */
  async deprovision(request: DeprovisionRequest): Promise<Instance[]> {
    const name = await this.#groupName(request.resourceSetId);
    const requested = new Set(request.instanceIds);
    const group = await describeGroup(this.#autoScaling, name);
    for (const member of membersOf(group)) {
      if (requested.has(member.InstanceId) && !isLeaving(member.LifecycleState))
        await terminateInGroup(this.#autoScaling, member.InstanceId);
    }
    const gone = await poll(
      () => describeGroup(this.#autoScaling, name),
      (g) =>
        !membersOf(g).some(
          (m) => requested.has(m.InstanceId) && m.LifecycleState !== 'Terminated' && m.LifecycleState !== 'Detached',
        ),
      { intervalMs: this.#polling.intervalMs, timeoutMs: this.#polling.timeoutMs + (request.drainSeconds ?? 0) * 1000 },
    );
    if (!gone.done) throw new ProviderError(`instances of ${name} still terminating after the wait`, 'Timeout', true);
    const ec2 = await describeGroupInstances(this.#ec2, name);
    return request.instanceIds.flatMap((id) => {
      const known = ec2.get(id);
      return known ? [formerInstance(request.resourceSetId, id, known)] : [];
    });
  }

  /**
   * Launch first, on a new launch template version: create the version (EC2 client token = the
   * idempotency token), point the group at it, raise desired capacity by the number of instances
   * replaced, wait until that many instances of the new version are InService and healthy, then
   * terminate the old ones with decrement. An instance refresh was not used: it cannot be limited to
   * the named instances a canary step replaces. The group keeps the new version afterwards, so later
   * scale-outs launch it too; a rollback is another replace.
   */
  async replace(request: ReplaceRequest): Promise<Instance[]> {
    if (request.instanceType === undefined && request.image === undefined) {
      throw new ProviderError('replace needs a new instanceType or image', 'InvalidParameterValue', false);
    }
    const name = await this.#groupName(request.resourceSetId);
    const group = await describeGroup(this.#autoScaling, name);
    const template = launchTemplateOf(group);
    const intent = await this.#replaceIntent(name, group, template, request);
    const version = await createVersion(this.#ec2, {
      templateId: template.LaunchTemplateId,
      sourceVersion: intent.sourceVersion,
      clientToken: intent.token,
      instanceType: request.instanceType,
      imageId: request.image,
    });
    if (template.Version !== version)
      await pointGroupAt(this.#autoScaling, name, { LaunchTemplateId: template.LaunchTemplateId, Version: version });

    const requested = new Set(request.instanceIds);
    // Once all old instances are on their way out the surge is spent; raising again would overshoot.
    if (membersOf(group).some((m) => requested.has(m.InstanceId) && !isLeaving(m.LifecycleState))) {
      await this.#raiseDesired(
        name,
        group,
        request.instanceIds.length,
        `${request.idempotencyToken}/surge`,
        tagKeys.surge,
      );
    }
    const isReplacement = (m: Member) => m.LaunchTemplate?.Version === version && !requested.has(m.InstanceId);
    const ready = await poll(
      () => describeGroup(this.#autoScaling, name),
      (g) =>
        membersOf(g).filter((m) => isReplacement(m) && isHealthy(m.LifecycleState, m.HealthStatus)).length >=
        request.instanceIds.length,
      { intervalMs: this.#polling.intervalMs, timeoutMs: this.#polling.timeoutMs },
    );
    if (!ready.done)
      throw new ProviderError(`replacements in ${name} not InService and healthy after the wait`, 'Timeout', true);

    await this.deprovision({
      resourceSetId: request.resourceSetId,
      instanceIds: request.instanceIds,
      idempotencyToken: `${request.idempotencyToken}/retire`,
    });
    return this.#instancesOf(request.resourceSetId, name, membersOf(ready.value).filter(isReplacement));
  }

  async health(): Promise<void> {
    await aws(() => this.#autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 1 })));
  }

  async #instancesOf(resourceSetId: string, groupName: string, members: Member[]): Promise<Instance[]> {
    if (members.length === 0) return [];
    const ec2 = await describeGroupInstances(this.#ec2, groupName);
    return members.map((m) => memberInstance(resourceSetId, m, ec2.get(m.InstanceId), this.#agentPort));
  }

  /**
   * Adds `count` to the group's desired capacity once per token. The intent (from → to) is tagged
   * before SetDesiredCapacity, so a retry finds it: desired still at `from` means the first attempt
   * stopped between the two calls and `to` is applied now; anything else means it was applied.
   */
  async #raiseDesired(
    name: string,
    group: AutoScalingGroup,
    count: number,
    token: string,
    tagKey: string,
  ): Promise<ScaleIntent> {
    const desired = group.DesiredCapacity ?? 0;
    const key = idempotencyKey(token);
    const recorded = readIntent(group, tagKey, scaleIntentSchema);
    if (recorded?.token === key) {
      if (desired === recorded.from && recorded.to !== recorded.from)
        await setDesiredCapacity(this.#autoScaling, name, recorded.to);
      return recorded;
    }
    assertHeadroom(name, group, count);
    const intent: ScaleIntent = { token: key, from: desired, to: desired + count, at: new Date().toISOString() };
    await writeIntent(this.#autoScaling, name, tagKey, intent);
    await setDesiredCapacity(this.#autoScaling, name, intent.to);
    return intent;
  }

  /**
   * Pins the source version on the first attempt: by a retry the group already follows the new
   * version, and basing the request on that would make EC2 reject the reused client token.
   */
  async #replaceIntent(
    name: string,
    group: AutoScalingGroup,
    template: { LaunchTemplateId: string; Version?: string | undefined },
    request: ReplaceRequest,
  ): Promise<ReplaceIntent> {
    const key = idempotencyKey(request.idempotencyToken);
    const recorded = readIntent(group, tagKeys.replace, replaceIntentSchema);
    if (recorded?.token === key) return recorded;
    const live = new Set(
      membersOf(group)
        .filter((m) => !isLeaving(m.LifecycleState))
        .map((m) => m.InstanceId),
    );
    const missing = request.instanceIds.filter((id) => !live.has(id));
    if (missing.length > 0) {
      throw new ProviderError(`not live members of ${name}: ${missing.join(', ')}`, 'InstanceNotFound', false);
    }
    // Checked before anything changes, so a surge that cannot fit leaves the group untouched.
    assertHeadroom(name, group, request.instanceIds.length);
    const intent: ReplaceIntent = { token: key, sourceVersion: await resolveVersion(this.#ec2, template) };
    await writeIntent(this.#autoScaling, name, tagKeys.replace, intent);
    return intent;
  }
}
