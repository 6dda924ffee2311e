import { ApplicationFailure, Context } from '@temporalio/activity';
import { appConfigOf, needsReplacement, type Release } from '../config/release.js';
import { agentToken } from '../domain/agent-token.js';
import type { Instance, Provider } from '../domain/provider.js';
import { alive, viaProvider } from './provider-calls.js';
import type { Db } from '../store/db.js';
import { recordRollout } from '../store/rollouts.js';
import { AgentConfigError, appliedConfigVersion, putConfig } from './rollout-agent.js';
import { judgeStep } from './rollout-analysis.js';
import { windowStats } from './window-samples.js';
import type {
  AnalyseStepInput,
  ApplyReleaseInput,
  ApplyReleaseResult,
  FleetTarget,
  ObservedInstance,
  RolloutActivities,
  StepVerdict,
} from './types.js';

export interface RolloutDeps {
  db: Db;
  providerFor(target: FleetTarget): Provider;
  /** Agent tokens derive from it: PUT /config carries the instance's own token. */
  agentSecret: string;
  pollMs?: number;
}

/** Heartbeats while `work` runs, so a worker that died mid-call is noticed within the heartbeat timeout. */
async function beating<T>(pollMs: number, details: unknown, work: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => Context.current().heartbeat(details), pollMs);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

export function createRolloutActivities(deps: RolloutDeps): RolloutActivities {
  const pollMs = deps.pollMs ?? 2_000;

  /** PUT /config on each instance; an app that refuses the configuration is not retried. */
  async function configure(instances: Instance[], release: Release): Promise<void> {
    const config = appConfigOf(release);
    await Promise.all(
      instances.map(async (i) => {
        if (!i.agentUrl) throw ApplicationFailure.nonRetryable(`instance ${i.id} has no agent to configure`, 'NoAgent');
        try {
          await putConfig(i.agentUrl, agentToken(deps.agentSecret, i.id), config);
        } catch (err) {
          // 409: the app refused the parameters, or the version is already applied with others.
          if (err instanceof AgentConfigError && err.status === 409)
            throw ApplicationFailure.nonRetryable(err.message, err.code ?? 'ConfigRefused');
          throw err;
        }
      }),
    );
  }

  return {
    async observeInstances(target: FleetTarget): Promise<ObservedInstance[]> {
      const instances = await viaProvider(() => deps.providerFor(target).describeInstances(target.resourceSetId));
      return Promise.all(
        instances.filter(alive).map(async (i) => ({
          id: i.id,
          state: i.state,
          healthy: i.healthy,
          instanceType: i.instanceType,
          image: i.image,
          launchedAt: i.launchedAt,
          configVersion:
            i.agentUrl && i.state === 'running'
              ? await appliedConfigVersion(i.agentUrl, agentToken(deps.agentSecret, i.id))
              : null,
        })),
      );
    },

    async applyRelease(input: ApplyReleaseInput): Promise<ApplyReleaseResult> {
      const provider = deps.providerFor(input);
      const byId = new Map(
        (await viaProvider(() => provider.describeInstances(input.resourceSetId))).map((i) => [i.id, i]),
      );
      // Which instances need replacing depends only on their (immutable) type and image, so a
      // retry replaces the same set with the same token: the cloud launches nothing twice.
      const replace = input.instanceIds.filter((id) => {
        const i = byId.get(id);
        return i !== undefined && needsReplacement(i, input.release);
      });
      const inPlace = input.instanceIds
        .map((id) => byId.get(id))
        .filter((i): i is Instance => i !== undefined && !needsReplacement(i, input.release));
      const live = inPlace.filter((i) => i.state === 'running');
      let launched: Instance[] = [];
      if (replace.length) {
        launched = await beating(pollMs, { replacing: replace }, () =>
          viaProvider(() =>
            provider.replace({
              resourceSetId: input.resourceSetId,
              instanceIds: replace,
              instanceType: input.release.instanceType,
              image: input.release.image,
              config: appConfigOf(input.release),
              idempotencyToken: `${input.idempotencyKey}/replace`,
            }),
          ),
        );
      }
      await configure([...live, ...launched], input.release);
      return {
        configured: live.map((i) => i.id),
        replaced: replace,
        launched: launched.map((i) => i.id),
        skipped: input.instanceIds.filter((id) => !replace.includes(id) && !live.some((i) => i.id === id)),
      };
    },

    async analyseStep(input: AnalyseStepInput): Promise<StepVerdict> {
      return judgeStep(
        await windowStats(deps.db, input.resourceSetId, [...input.canary, ...input.baseline], input, pollMs),
        input,
      );
    },

    async recordRollout(record) {
      await recordRollout(deps.db, record);
    },
  };
}
