import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  appProfileSchema,
  defaultParamsOf,
  imageOf,
  paramsSchemaOf,
  restartParameters,
  softwareProblem,
  type AppProfileInput,
} from '../../src/domain/app-profile.js';
import { describeIssues } from '../../src/domain/resource-set.js';
import { SAMPLE_CONFIG_DELIVERY } from '../../src/sample-service/app-params.js';

/** A small app that is not the sample service: settings in a YAML file, reloaded on SIGHUP. */
const shop: AppProfileInput = {
  parameters: {
    workers: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
    ratio: { type: 'number', minimum: 0, maximum: 1 },
    verbose: { type: 'boolean', default: false, apply: 'restart' },
    mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' },
    memoEntries: { type: 'integer', minimum: 0, default: 10, maximumPerCapacity: 1000 },
  },
  software: { pattern: 'ghcr\\.io/acme/shop:\\d+\\.\\d+' },
  healthCheck: { type: 'http', path: '/health', port: 8080 },
  config: {
    method: 'file',
    path: '/etc/shop/settings.yaml',
    format: 'yaml',
    reload: { signal: 'SIGHUP', pidFile: '/run/shop.pid' },
  },
};

const shippedSampleService: unknown = JSON.parse(
  readFileSync(new URL('../../deploy/profiles/sample-service.json', import.meta.url), 'utf8'),
);
const fileConfig = { method: 'file', path: '/etc/a.yaml', format: 'yaml' } as const;

const problems = (value: unknown): string => {
  const result = appProfileSchema.safeParse(value);
  return result.success ? '' : describeIssues(result.error);
};

describe('app profile validation', () => {
  const good: [string, unknown][] = [
    ['a file-configured app with every parameter type', shop],
    ['an HTTP hook by path', { parameters: {}, config: { method: 'http', path: '/config', port: 9000 } }],
    ['an HTTP hook by URL', { parameters: {}, config: { method: 'http', url: 'http://127.0.0.1:9000/config' } }],
    [
      'env file and a reload command',
      {
        parameters: { x: { type: 'string' } },
        config: {
          method: 'file',
          path: '/etc/app.env',
          format: 'env',
          reload: { command: ['systemctl', 'reload', 'app'] },
        },
      },
    ],
    [
      'restart delivery, no health check',
      { parameters: {}, healthCheck: { type: 'none' }, config: { method: 'restart' } },
    ],
    ['the shipped sample service', shippedSampleService],
  ];
  for (const [name, profile] of good) it(`accepts ${name}`, () => assert.equal(problems(profile), ''));

  const bad: [string, unknown, RegExp][] = [
    ['an unknown parameter type', { ...shop, parameters: { a: { type: 'float' } } }, /^parameters\.a\.type: /],
    [
      'minimum above maximum',
      { ...shop, parameters: { a: { type: 'integer', minimum: 5, maximum: 1 } } },
      /^parameters\.a\.maximum: must be at least minimum/,
    ],
    [
      'a default out of range',
      { ...shop, parameters: { a: { type: 'integer', maximum: 3, default: 9 } } },
      /^parameters\.a\.default: .*<=3/,
    ],
    [
      'a fractional integer default',
      { ...shop, parameters: { a: { type: 'integer', default: 1.5 } } },
      /^parameters\.a\.default: /,
    ],
    [
      'a default not in the enum',
      { ...shop, parameters: { a: { type: 'string', enum: ['x'], default: 'y' } } },
      /^parameters\.a\.default: /,
    ],
    ['an empty enum', { ...shop, parameters: { a: { type: 'string', enum: [] } } }, /^parameters\.a\.enum: /],
    ['a bad apply', { ...shop, parameters: { a: { type: 'boolean', apply: 'later' } } }, /^parameters\.a\.apply: /],
    [
      'an unknown parameter field',
      { ...shop, parameters: { a: { type: 'boolean', min: 1 } } },
      /^parameters\.a: .*min/,
    ],
    [
      'a parameter name with a dot',
      { ...shop, parameters: { 'a.b': { type: 'boolean' } } },
      /^parameters\.a\.b: a parameter name must be a letter/,
    ],
    [
      'a software pattern that does not compile',
      { ...shop, software: { pattern: '(' } },
      /^software\.pattern: must be a valid regular expression/,
    ],
    [
      'an HTTP hook with neither url nor path',
      { ...shop, config: { method: 'http' } },
      /^config\.path: give either url or path/,
    ],
    ['an unknown delivery method', { ...shop, config: { method: 'carrier-pigeon' } }, /^config\.method: /],
    [
      'a relative config file',
      { ...shop, config: { method: 'file', path: 'settings.yaml', format: 'yaml' } },
      /^config\.path: must be an absolute file path/,
    ],
    [
      'an unknown file format',
      { ...shop, config: { method: 'file', path: '/etc/a', format: 'toml' } },
      /^config\.format: /,
    ],
    [
      'a reload signal that stops the app',
      { ...shop, config: { ...fileConfig, reload: { signal: 'SIGKILL', pidFile: '/run/a.pid' } } },
      /^config\.reload: must be \{ signal, pidFile \} with signal one of SIGHUP/,
    ],
    [
      'both a reload signal and a command',
      { ...shop, config: { ...fileConfig, reload: { pidFile: '/run/a.pid', command: ['kill'] } } },
      /^config\.reload: must be \{ signal, pidFile \}/,
    ],
    [
      'a relative pid file',
      { ...shop, config: { ...fileConfig, reload: { pidFile: 'a.pid' } } },
      /^config\.reload\.pidFile: must be an absolute file path/,
    ],
    [
      'an empty reload command',
      { ...shop, config: { ...fileConfig, reload: { command: [] } } },
      /^config\.reload\.command: /,
    ],
    [
      'an HTTP hook with both url and path',
      { ...shop, config: { method: 'http', path: '/a', url: 'http://127.0.0.1:9000/a' } },
      /^config\.path: give either url or path/,
    ],
    ['an HTTP hook whose url is no URL', { ...shop, config: { method: 'http', url: 'settings' } }, /^config\.url: /],
    ['a file field under restart', { ...shop, config: { method: 'restart', path: '/etc/a' } }, /^config: .*path/],
    [
      'a health check path without a slash',
      { ...shop, healthCheck: { type: 'http', path: 'health' } },
      /^healthCheck\.path: must be a path/,
    ],
    ['no config delivery', { parameters: {} }, /^config: /],
    ['an unknown top-level field', { ...shop, extra: 1 }, /^\(body\): .*extra/],
  ];
  for (const [name, profile, expected] of bad)
    it(`refuses ${name}, naming the field`, () => assert.match(problems(profile), expected));

  it('ships the sample service with the delivery the local cloud hands its agents', () => {
    const shipped = appProfileSchema.parse(shippedSampleService);
    assert.deepEqual(shipped.config, SAMPLE_CONFIG_DELIVERY);
  });
});

describe("a template's params under a profile", () => {
  const profile = appProfileSchema.parse(shop);
  const check = (params: unknown, capacity?: number): string => {
    const result = paramsSchemaOf(profile, capacity).safeParse(params);
    return result.success ? '' : describeIssues(result.error);
  };

  it('fills defaults and keeps given values', () => {
    assert.deepEqual(paramsSchemaOf(profile).parse({ ratio: 0.5, workers: 8 }), {
      workers: 8,
      ratio: 0.5,
      verbose: false,
      mode: 'safe',
      memoEntries: 10,
    });
    assert.deepEqual(defaultParamsOf(profile), { workers: 4, verbose: false, mode: 'safe', memoEntries: 10 });
  });

  const bad: [string, unknown, RegExp][] = [
    ['a required parameter missing', {}, /^ratio: /],
    ['an unknown name', { ratio: 0.5, threads: 2 }, /^\(body\): .*threads/],
    ['the wrong type', { ratio: 0.5, workers: 'many' }, /^workers: .*number/],
    ['a fraction for an integer', { ratio: 0.5, workers: 1.5 }, /^workers: .*int/],
    ['out of range', { ratio: 0.5, workers: 65 }, /^workers: .*<=64/],
    ['a value not in the enum', { ratio: 0.5, mode: 'reckless' }, /^mode: /],
  ];
  for (const [name, params, expected] of bad) it(`refuses ${name}`, () => assert.match(check(params), expected));

  it('bounds a parameter by the instance capacity when it is known', () => {
    assert.match(
      check({ ratio: 0.5, memoEntries: 2500 }, 2),
      /^memoEntries: does not fit this instance type \(at most 2000\)/,
    );
    assert.equal(check({ ratio: 0.5, memoEntries: 2500 }, 4), '');
    assert.equal(check({ ratio: 0.5, memoEntries: 2500 }), '', 'no bound where the capacity is unknown');
  });

  it('checks software references against the pattern, whole, and names the image', () => {
    assert.equal(softwareProblem(profile, 'ghcr.io/acme/shop:1.2'), null);
    assert.match(softwareProblem(profile, 'ghcr.io/acme/shop:1.2-evil') ?? '', /must match/);
    assert.equal(imageOf(profile, 'ghcr.io/acme/shop:1.2'), 'ghcr.io/acme/shop:1.2');
    assert.equal(imageOf(appProfileSchema.parse({ ...shop, software: { repository: 'shop' } }), 'v2'), 'shop:v2');
    assert.deepEqual(restartParameters(profile), ['verbose']);
  });
});
