import assert from 'node:assert/strict';
import http from 'node:http';
import querystring from 'node:querystring';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import { apiRoutes } from '../../src/api/app.js';
import type { Route } from '../../src/api/route.js';
import { agentToken } from '../../src/domain/agent-token.js';
import { seededRandom } from '../../src/domain/random.js';
import { createApiKey, revokeApiKey } from '../../src/store/api-keys.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { resourceSetBody, routeFixtures, routeKey, templateBody } from './route-fixtures.js';

const SEED = Number(process.env.FUZZ_SEED ?? 7_297);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const IN_FLIGHT = 8;

// Values that are wrong somewhere: sizes, types, encodings, injections, prototype names.
const WEIRD_STRINGS = [
  '',
  ' ',
  'x'.repeat(20_000),
  '\u0000',
  '\u202eevil',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(40),
  'ﬁ',
  'İ',
  'Ｗｅｂ',
  'e\u0301',
  '\u200b',
  '../../etc/passwd',
  '..\\..\\win.ini',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  "'; DROP TABLE api_keys; --",
  '${jndi:ldap://x/a}',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  'null',
  'true',
  'WEB',
  'web.',
  '-web',
  'a'.repeat(64),
];
// Raw JSON number tokens, some of which no JavaScript number literal would produce.
const WEIRD_NUMBERS = [
  '-1',
  '-0',
  '0.5',
  '-1e308',
  '1e308',
  '1e400',
  '-1e400',
  '9007199254740993',
  '-2147483649',
  '2147483648',
  '1e-400',
  '123456789012345678901234567890',
  '0.1e1',
  '1E2',
  '-0.0',
];
const WEIRD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' ',
  'k'.repeat(2_000),
  '😀',
  '\u0000',
  'id\u200b',
  'ID',
  '$where',
  'toString',
];
const BAD_JSON = [
  '{',
  '{"a":',
  '[1,2',
  '{"a":1,}',
  "{'a':1}",
  'NaN',
  '{"a":1}{"b":2}',
  '{"a":01}',
  '{"a":"\\x41"}',
  '\u0000',
  '{"a":tru}',
  '[',
  '"',
  '{"a" 1}',
];

/** Markers in a generated value, spliced into the JSON text: deep nesting and raw number tokens. */
const DEEP = (depth: number) => `\u0001deep:${depth}\u0001`;
const RAW = (token: string) => `\u0001raw:${token}\u0001`;

/** The JSON text of a value with its markers expanded; `maxDepth` caps the nesting (for local checks). */
function serialize(value: unknown, maxDepth = Infinity): string {
  return JSON.stringify(value).replace(/"\\u0001(deep|raw):([^"\\]*)\\u0001"/g, (_, kind: string, arg: string) => {
    if (kind === 'raw') return arg;
    const depth = Math.min(Number(arg), maxDepth);
    return '['.repeat(depth) + ']'.repeat(depth);
  });
}

/** URLs carry UTF-8, in which a lone surrogate cannot be written (JSON bodies can carry it). */
const urlSafe = (s: string): string =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chance = (r: Random, p: number): boolean => r() < p;

function weirdValue(r: Random): unknown {
  switch (Math.floor(r() * 9)) {
    case 0:
    case 1:
      return pick(r, WEIRD_STRINGS);
    case 2:
    case 3:
      return RAW(pick(r, WEIRD_NUMBERS));
    case 4:
      return pick(r, [null, true, false, [], {}]);
    case 5:
      return DEEP(Math.floor(10 ** (1 + r() * 4)));
    case 6:
      return Array.from({ length: Math.floor(r() * 5_000) }, () => pick(r, [1, 'a', null]));
    case 7:
      return withKey({}, pick(r, WEIRD_KEYS), weirdValue(r));
    default:
      return RAW(String(Math.floor((r() - 0.5) * 1e6)));
  }
}

/** Sets a key as an own property, even `__proto__`. */
function withKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** One random change somewhere in a JSON value: replace, delete, add or descend. */
function mutate(value: unknown, r: Random): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && chance(r, 0.85)) {
    const copy = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const key = keys.length ? pick(r, keys) : undefined;
    const op = Math.floor(r() * 4);
    if (key !== undefined && op === 0) delete copy[key];
    else if (key !== undefined && op === 1) copy[key] = mutate(copy[key], r);
    else if (key !== undefined && op === 2) copy[key] = weirdValue(r);
    else withKey(copy, pick(r, [...WEIRD_KEYS, ...keys.map((k) => k.toUpperCase())]), weirdValue(r));
    return copy;
  }
  if (Array.isArray(value) && value.length && chance(r, 0.7)) {
    const copy = [...value];
    const i = Math.floor(r() * copy.length);
    copy[i] = chance(r, 0.5) ? mutate(copy[i], r) : weirdValue(r);
    return copy;
  }
  return weirdValue(r);
}

interface Generated {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Which part was made invalid: the answer must be a 4xx. Absent for public routes without input. */
  broke?: string;
}

const invalid = (schema: z.ZodType | undefined, value: unknown): boolean =>
  !!schema && !schema.safeParse(value).success;

/** A param value the route's schema rejects, as the path segment that carries it. */
function badSegment(r: Random, route: Route, params: Record<string, string>, name: string): string | undefined {
  for (let attempt = 0; attempt < 10; attempt++) {
    if (chance(r, 0.1)) return pick(r, ['%', '%E0%A4%A', '%ZZ', '%C0%AF', '%ED%A0%80']);
    const base = params[name]!;
    const value = pick(
      r,
      [
        () => pick(r, WEIRD_STRINGS),
        () => base.toUpperCase(),
        () => `${base}/..`,
        () => `../${base}`,
        () => `${base}\u0000`,
        () => base + 'x'.repeat(Math.floor(r() * 300)),
        () => `${base}%`,
        () => ` ${base}`,
        () => base.slice(1),
        () => String(Math.floor((r() - 0.5) * 1e12)),
      ].map((f) => () => urlSafe(f())),
    )();
    if (value && invalid(route.params, { ...params, [name]: value })) return encodeURIComponent(value);
  }
  return undefined;
}

/** A query string the route's schema rejects (as Express's simple parser reads it). */
function badQuery(r: Random, route: Route, baseline: string): string | undefined {
  const base = querystring.parse(baseline.replace(/^\?/, ''));
  const keys = Object.keys((route.query as unknown as { shape?: Record<string, unknown> }).shape ?? {});
  for (let attempt = 0; attempt < 10; attempt++) {
    const q: Record<string, string | string[]> = { ...(base as Record<string, string | string[]>) };
    const key = keys.length ? pick(r, keys) : 'limit';
    switch (Math.floor(r() * 3)) {
      case 0:
        q[key] = [pick(r, WEIRD_NUMBERS), pick(r, WEIRD_STRINGS.slice(0, 12))];
        break;
      case 1:
        q[key] = pick(r, [...WEIRD_NUMBERS, ...WEIRD_STRINGS.slice(0, 20)]);
        break;
      default:
        q[pick(r, WEIRD_KEYS) || 'extra'] = pick(r, WEIRD_STRINGS.slice(0, 12));
    }
    const text = querystring.stringify(
      Object.fromEntries(
        Object.entries(q).map(([k, v]) => [urlSafe(k), Array.isArray(v) ? v.map(urlSafe) : urlSafe(v)]),
      ),
    );
    if (invalid(route.query, querystring.parse(text))) return `?${text}`;
  }
  return undefined;
}

/** A body the route's schema rejects, or that the JSON parser or size limit refuses first. */
function badBody(r: Random, route: Route, baseline: unknown): { body: string; contentType: string } | undefined {
  const kind = r();
  if (kind < 0.12) return { body: pick(r, BAD_JSON), contentType: 'application/json' };
  if (kind < 0.17) {
    const text = serialize(baseline);
    return { body: text.slice(0, Math.max(1, Math.floor(r() * (text.length - 1)))), contentType: 'application/json' };
  }
  if (kind < 0.19)
    return { body: `{"pad":"${'x'.repeat(1_100_000 + Math.floor(r() * 400_000))}"}`, contentType: 'application/json' };
  if (kind < 0.21) return { body: serialize(baseline), contentType: 'application/json; charset=utf-16' };
  if (kind < 0.25 && invalid(route.body, undefined))
    return {
      body: serialize(baseline),
      contentType: pick(r, ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']),
    };
  for (let attempt = 0; attempt < 10; attempt++) {
    let value = baseline;
    for (let n = 1 + Math.floor(r() * 3); n > 0; n--) value = mutate(value, r);
    if (chance(r, 0.05)) value = pick(r, [[], [baseline], 'text', RAW('42'), null, true]);
    if (invalid(route.body, JSON.parse(serialize(value, 3))))
      return { body: serialize(value), contentType: 'application/json' };
  }
  return undefined;
}

describe('fuzzing every route with malformed requests: never a 5xx, nothing written, still alive', () => {
  let api: TestApi;
  let routes: Route[];
  const sharedSet = uniqueId('fuzz');
  const sharedTemplate = uniqueId('fuzz');
  let sharedKeyId: string;
  let revokedKey: string;
  const agentInstance = 'i-fuzz-1';

  const snapshot = async () => {
    const q = async (sql: string) => JSON.stringify((await api.database.db.query(sql)).rows);
    const state = await api.request('GET', `/v1/resource-sets/${sharedSet}`);
    return {
      resourceSets: await q('SELECT id, spec, workflow_id FROM resource_sets ORDER BY id'),
      apiKeys: await q('SELECT id, role, scopes, revoked_at FROM api_keys ORDER BY id'),
      metricSamples: await q('SELECT count(*)::int AS n FROM metric_samples'),
      templateVersions: await q('SELECT count(*)::int AS n FROM template_versions'),
      loop: JSON.stringify({
        state: state.body.status.state,
        override: state.body.status.override,
        spec: state.body.status.spec,
      }),
    };
  };

  before(async () => {
    api = await startTestApi();
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(sharedSet))).status, 201);
    assert.equal((await api.request('POST', `/v1/templates/${sharedTemplate}/versions`, templateBody)).status, 201);
    sharedKeyId = (await createApiKey(api.database.db, { role: 'viewer', name: 'fuzz target' }, 'test')).id;
    const revoked = await createApiKey(api.database.db, { role: 'admin' }, 'test');
    await revokeApiKey(api.database.db, revoked.id);
    revokedKey = revoked.key;
    routes = apiRoutes(api.ctx);
  });
  after(async () => {
    await api.close();
  });

  it(`survives ${REQUESTS} malformed requests (seed ${SEED})`, { timeout: 15 * 60_000 }, async () => {
    const fixtures = routeFixtures(api, { sharedSet, sharedTemplate, agentInstance });
    const baselineParams = (route: Route): Record<string, string> => {
      const values: Record<string, string> = {
        id: route.path.startsWith('/v1/keys') ? sharedKeyId : sharedSet,
        name: sharedTemplate,
        version: '1',
        action: route.path.includes('/experiments/') ? 'abort' : 'pause',
        expId: 'experiment-fuzz',
        sessionId: 'tuning-fuzz',
        rid: '1',
      };
      const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const params = Object.fromEntries(names.map((n) => [n, values[n]!]));
      assert.ok(
        !route.params || route.params.safeParse(params).success,
        `${routeKey(route)}: give the fuzzer a valid value for each of ${names.join(', ')}`,
      );
      return params;
    };
    const goodToken = (route: Route) =>
      route.role === 'agent' ? agentToken(api.ctx.agentSecret, agentInstance) : api.keys.admin;
    const badAuth = (r: Random, route: Route): string | undefined => {
      const candidates = [
        undefined,
        'garbage',
        `psk_${'0'.repeat(16)}_${'A'.repeat(43)}`,
        'psk_short',
        revokedKey,
        `${revokedKey}x`,
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        agentToken('wrong-secret', agentInstance),
        'x'.repeat(9_000),
        route.role === 'agent' ? api.keys.admin : agentToken(api.ctx.agentSecret, agentInstance),
        ...(route.role === 'admin'
          ? [api.keys.operator, api.keys.viewer]
          : route.role === 'operator'
            ? [api.keys.viewer]
            : []),
      ];
      return pick(r, candidates);
    };

    const generate = (r: Random): Generated => {
      const route = pick(r, routes);
      const fixture = fixtures[routeKey(route)] ?? {};
      const params = baselineParams(route);
      let segments = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, encodeURIComponent(v)]));
      let query = fixture.query ?? '';
      const baselineBody = route.body ? fixture.body?.() : undefined;
      let body = baselineBody === undefined ? undefined : serialize(baselineBody);
      let contentType = 'application/json';
      let token: string | undefined = route.role === 'public' ? undefined : goodToken(route);

      const parts = [
        ...(route.params ? ['params'] : []),
        ...(route.query ? ['query'] : []),
        ...(route.body ? ['body'] : []),
        ...(route.role !== 'public' ? ['auth'] : []),
      ];
      let broke: string | undefined;
      for (let attempt = 0; attempt < 5 && !broke && parts.length; attempt++) {
        const part = pick(r, parts);
        if (part === 'params') {
          const name = pick(r, Object.keys(params));
          const segment = badSegment(r, route, params, name);
          if (segment !== undefined) [segments, broke] = [{ ...segments, [name]: segment }, `params.${name}`];
        } else if (part === 'query') {
          const q = badQuery(r, route, query);
          if (q !== undefined) [query, broke] = [q, 'query'];
        } else if (part === 'body') {
          const b = badBody(r, route, baselineBody ?? {});
          if (b) [body, contentType, broke] = [b.body, b.contentType, 'body'];
        } else {
          [token, broke] = [badAuth(r, route), 'auth'];
        }
      }
      if (!broke && parts.length) throw new Error(`could not make a malformed request for ${routeKey(route)}`);

      // Noise on top of the broken part: odd paths, stray queries, bodies where none belongs.
      let path = route.path.replace(/:(\w+)/g, (_, name: string) => segments[name]!) + query;
      if (chance(r, 0.05))
        path = pick(r, [
          `/${path}`,
          `${path.split('?')[0]}/..`,
          `${path.split('?')[0]}/%2e%2e`,
          path.toUpperCase(),
          `${path.split('?')[0]};x=1`,
        ]);
      if (!route.query && chance(r, 0.1))
        path += `${path.includes('?') ? '&' : '?'}${querystring.stringify({ [pick(r, WEIRD_KEYS) || 'k']: urlSafe(pick(r, WEIRD_STRINGS.slice(0, 12))) })}`;
      if (!route.body && chance(r, 0.15)) body = chance(r, 0.5) ? pick(r, BAD_JSON) : serialize(weirdValue(r));
      const headers: Record<string, string> = {
        ...(body !== undefined ? { 'content-type': contentType } : {}),
        ...(token !== undefined ? { authorization: chance(r, 0.03) ? `bearer  ${token}` : `Bearer ${token}` } : {}),
        ...(chance(r, 0.05) ? { 'x-request-id': pick(r, ['x'.repeat(500), '../../x', 'a b', '%00', 'ok-id-1']) } : {}),
      };
      return {
        method: route.method.toUpperCase(),
        path,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(broke ? { broke } : {}),
      };
    };

    const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const { hostname, port } = new URL(api.url);
    const send = (g: Generated) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: hostname, port, method: g.method, path: g.path, headers: g.headers, agent, timeout: 60_000 },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
        // The server may answer a huge body early (413) and close before the upload ends.
        req.on('error', (err: NodeJS.ErrnoException) =>
          err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(-1) : reject(err),
        );
        req.end(g.body);
      });

    const before = await snapshot();
    const random = seededRandom(SEED);
    const requests = Array.from({ length: REQUESTS }, () => generate(random));
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < requests.length) {
          const g = requests[next++]!;
          const status = await send(g);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          const wrong = status >= 500 || (g.broke !== undefined && status !== -1 && (status < 400 || status >= 500));
          if (wrong)
            failures.push(
              `${g.method} ${g.path.slice(0, 150)} (broke ${g.broke ?? 'nothing'}) → ${status}; body ${String(g.body).slice(0, 150)}`,
            );
        }
      }),
    );
    agent.destroy();

    assert.deepEqual(
      failures.slice(0, 10),
      [],
      `${failures.length} of ${REQUESTS} requests answered wrongly (FUZZ_SEED=${SEED}); statuses ${JSON.stringify([...statuses])}`,
    );
    assert.ok((statuses.get(-1) ?? 0) < REQUESTS / 50, `the server cut off ${statuses.get(-1)} requests`);
    assert.deepEqual(await snapshot(), before, 'nothing was written');
    assert.equal((await api.request('GET', '/healthz')).status, 200, 'still alive');
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: 'viewer' })).status,
      200,
      'still serving',
    );
  });
});
