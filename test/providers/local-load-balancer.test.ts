import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import type { Target } from '../../src/providers/local/cloud.js';
import { LoadBalancer } from '../../src/providers/local/load-balancer.js';
import { freePort } from '../support/ports.js';

/** A real HTTP upstream that names itself; `/slow` answers only when released. */
const nameOf = async (response: Promise<Response>): Promise<string> =>
  ((await (await response).json()) as { name: string }).name;

async function upstream(
  name: string,
): Promise<{ server: Server; port: number; release: () => void; received: string[] }> {
  const held: ServerResponse[] = [];
  const received: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(`${req.method} ${req.url}`);
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.url === '/slow') held.push(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, url: req.url, body }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as { port: number }).port,
    received,
    release: () => {
      for (const res of held.splice(0)) res.end(name);
    },
  };
}

describe('local cloud load balancer', () => {
  let targets: Target[] = [];
  let lb: LoadBalancer;
  let lbServer: Server;
  let url: string;
  let a: Awaited<ReturnType<typeof upstream>>;
  let b: Awaited<ReturnType<typeof upstream>>;

  before(async () => {
    [a, b] = await Promise.all([upstream('a'), upstream('b')]);
    lb = new LoadBalancer((rs) => (rs === 'web' ? targets : []), createLogger('silent'));
    lbServer = createServer((req, res) => lb.handle(req, res));
    lbServer.listen(0, '127.0.0.1');
    await once(lbServer, 'listening');
    url = `http://127.0.0.1:${(lbServer.address() as { port: number }).port}`;
  });
  after(() => {
    lb.close();
    for (const s of [lbServer, a.server, b.server]) {
      s.close();
      s.closeAllConnections();
    }
  });

  it('forwards /rs/<set>/<path> to <path> with its query and body, and names the instance', async () => {
    targets = [{ id: 'i-a', port: a.port }];
    const response = await fetch(`${url}/rs/web/items/7?x=1`, { method: 'POST', body: 'hello' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-prescale-instance-id'), 'i-a');
    assert.deepEqual(await response.json(), { name: 'a', url: '/items/7?x=1', body: 'hello' });
  });

  it('spreads equal load in turn and sends new requests to the instance with fewer outstanding', async () => {
    targets = [
      { id: 'i-a', port: a.port },
      { id: 'i-b', port: b.port },
    ];
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push(await nameOf(fetch(`${url}/rs/web/`)));
    assert.deepEqual(names.sort(), ['a', 'a', 'b', 'b']);

    // Two requests held on whichever instances they land on, then a third held: with one of each
    // outstanding the third may go anywhere, but the next quick ones must avoid the busier one.
    const slow = [fetch(`${url}/rs/web/slow`), fetch(`${url}/rs/web/slow`), fetch(`${url}/rs/web/slow`)];
    while (
      a.received.filter((r) => r.endsWith('/slow')).length + b.received.filter((r) => r.endsWith('/slow')).length <
      3
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const busier = a.received.filter((r) => r.endsWith('/slow')).length === 2 ? 'a' : 'b';
    for (let i = 0; i < 3; i++) {
      assert.notEqual(await nameOf(fetch(`${url}/rs/web/`)), busier);
    }
    a.release();
    b.release();
    assert.deepEqual(
      (await Promise.all(slow)).map((r) => r.status),
      [200, 200, 200],
    );
  });

  it('retries a refused connection once on another instance', async () => {
    const dead = await freePort();
    targets = [
      { id: 'i-dead', port: dead },
      { id: 'i-b', port: b.port },
    ];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${url}/rs/web/x`, { method: 'POST', body: 'payload' });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { name: 'b', url: '/x', body: 'payload' });
    }
    targets = [{ id: 'i-dead', port: dead }];
    const response = await fetch(`${url}/rs/web/x`);
    assert.equal(response.status, 503, 'with no other instance the retry finds nothing');
  });

  it('answers 503 with a reason when the set has no ready instance, 404 outside /rs/, 400 for a garbled set id', async () => {
    const none = await fetch(`${url}/rs/empty/work`);
    assert.equal(none.status, 503);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'NoReadyInstance');
    assert.equal((await fetch(`${url}/elsewhere`)).status, 404);
    assert.equal((await fetch(`${url}/rs/%E0%A4%A/work`)).status, 400);
  });

  it('waits for in-flight requests before reporting an instance idle', async () => {
    targets = [{ id: 'i-a', port: a.port }];
    assert.equal(
      await Promise.race([
        lb.waitUntilIdle('i-a', 5_000).then(() => 'idle'),
        new Promise((r) => setTimeout(r, 1_000, 'busy')),
      ]),
      'idle',
    );
    const seen = a.received.length;
    const held = fetch(`${url}/rs/web/slow`);
    while (a.received.length === seen) await new Promise((r) => setTimeout(r, 20));
    targets = [];
    let idle = false;
    const waiting = lb.waitUntilIdle('i-a', 30_000).then(() => {
      idle = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(idle, false, 'a request is still in flight');
    a.release();
    assert.equal((await held).status, 200);
    await waiting;
    assert.equal(idle, true);
  });

  it('counts arrivals, in-flight requests and 503s per set', async () => {
    const text = await (await fetch(`${url}/lb-metrics`)).text();
    assert.match(text, /prescale_lb_arrivals_total\{resource_set="web"\} \d+/);
    assert.match(text, /prescale_lb_unavailable_total\{resource_set="empty"\} 1\n/);
    assert.match(text, /prescale_lb_unavailable_total\{resource_set="web"\} 1\n/);
    assert.match(text, /prescale_lb_in_flight\{resource_set="web"\} 0\n/);
  });
});
