// The local cloud's API and each instance's agent answer only callers with their tokens; the
// health checks and the load balancer (the app's own traffic) stay open. Real cloud, agents, apps.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { agentToken } from '../../src/domain/agent-token.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import { ProviderError, type Instance } from '../../src/domain/provider.js';
import { waitFor } from '../support/wait.js';
import { requestThroughLb, TestCloud } from './local-support.js';

const SET = 'guarded';

async function call(
  url: string,
  method: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

describe('local cloud and agent APIs require their tokens (real cloud, agents, apps)', () => {
  let cloud: TestCloud;
  let instance: Instance;
  let api: string;

  before(async () => {
    cloud = await TestCloud.create({ instanceLimit: 4 });
    api = cloud.started.apiUrl;
    [instance] = (await cloud.provider.provision({
      resourceSetId: SET,
      count: 1,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'guarded-1',
    })) as [Instance];
    [instance] = (await cloud.waitFor(
      SET,
      (all) => all.length === 1 && all[0]!.state === 'running' && all[0]!.healthy,
    )) as [Instance];
  });
  after(async () => {
    await cloud?.destroy();
  });

  it('refuses every cloud API call without the token, or with a wrong one, with 401 and launches nothing', async () => {
    const launch = {
      resourceSetId: SET,
      count: 2,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      clientToken: 'unauthorised',
    };
    const calls: [string, string, unknown?][] = [
      ['GET', '/instances'],
      ['GET', `/instances?resourceSetId=${SET}`],
      ['GET', '/instance-types'],
      ['POST', '/instances', launch],
      ['POST', '/instances/terminate', { instanceIds: [instance.id], clientToken: 'unauthorised' }],
      ['GET', '/no-such-route'],
    ];
    const wrong = [
      undefined,
      '',
      'wrong',
      `${cloud.started.token}x`,
      cloud.started.token.slice(0, -1),
      agentToken(cloud.options.agentSecret, instance.id),
    ];
    for (const [method, path, body] of calls) {
      for (const token of wrong) {
        const res = await call(api + path, method, token, body);
        assert.equal(res.status, 401, `${method} ${path} with ${JSON.stringify(token)}`);
        assert.equal(res.body.error.code, 'unauthorized');
      }
    }
    // A body the parser would reject is not even read without the token.
    const res = await fetch(`${api}/instances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(res.status, 401);
    const still = await cloud.provider.describeInstances(SET);
    assert.deepEqual(
      still.map((i) => [i.id, i.state]),
      [[instance.id, 'running']],
    );
  });

  it('tells a provider with a wrong token so, as an error retrying cannot fix', async () => {
    const wrong = new LocalProvider({ url: api, token: 'not-the-local-cloud-token' });
    await assert.rejects(wrong.describeInstances(SET), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.code, 'unauthorized');
      assert.equal(err.retryable, false);
      return true;
    });
  });

  it('keeps the health check and the load balancer open', async () => {
    assert.equal((await call(`${api}/healthz`, 'GET')).status, 200);
    const answers = await requestThroughLb(cloud.lbUrl, SET, 5);
    assert.deepEqual(
      answers.map((a) => [a.status, a.instance]),
      Array.from({ length: 5 }, () => [200, instance.id]),
    );
  });

  it("gives an instance neither the cloud's token nor the agent secret, only its own agent token", async () => {
    const { agents, apps } = await cloud.runningProcesses();
    assert.equal(agents.length, 1);
    for (const pid of [...agents, ...apps]) {
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      assert.ok(
        !environ.some((v) => v.startsWith('LOCAL_CLOUD_TOKEN=') || v.startsWith('PRESCALE_AGENT_SECRET=')),
        `pid ${pid}`,
      );
      assert.ok(
        !environ.some((v) => v.includes(cloud.started.token) || v.includes(cloud.options.agentSecret)),
        `pid ${pid}`,
      );
    }
  });

  it("refuses the agent's /metrics and /config without the instance's own token, and serves them with it", async () => {
    const agent = instance.agentUrl!;
    const own = agentToken(cloud.options.agentSecret, instance.id);
    const others = [
      undefined,
      'wrong',
      agentToken(cloud.options.agentSecret, 'i-another'),
      agentToken('another-secret-0123456789', instance.id),
      cloud.started.token,
    ];
    // The agent adopts the configuration its app started with on its first reconcile.
    const started = await waitFor(
      "the agent to adopt the app's configuration",
      async () => {
        const res = await call(`${agent}/config`, 'GET', own);
        return res.status === 200 ? (res.body as { version: number; params: unknown }) : undefined;
      },
      30_000,
    );
    const config = { version: started.version + 1, params: started.params };
    for (const [method, path, body] of [
      ['GET', '/metrics'],
      ['GET', '/config'],
      ['PUT', '/config', config],
    ] as const) {
      for (const token of others) {
        assert.equal(
          (await call(agent + path, method, token, body)).status,
          401,
          `${method} ${path} with ${JSON.stringify(token)}`,
        );
      }
    }
    assert.equal(
      (await call(`${agent}/config`, 'GET', own)).body.version,
      started.version,
      'the refused PUT applied nothing',
    );
    assert.equal((await call(`${agent}/healthz`, 'GET')).status, 200);
    const metrics = await call(`${agent}/metrics`, 'GET', own);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body as string, /^prescale_agent_buffered_samples /m);
    assert.deepEqual((await call(`${agent}/config`, 'PUT', own, config)).body, {
      appliedVersion: config.version,
      changed: true,
    });
    assert.equal((await call(`${agent}/config`, 'GET', own)).body.version, config.version);
  });
});
