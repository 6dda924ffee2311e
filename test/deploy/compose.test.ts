// Static checks of docker-compose.yml and Dockerfile: no Docker needed. They catch the mistakes that
// otherwise surface only as a container crash-looping at `docker compose up`: a variable Prescale
// does not read, a URL pointing at a service that does not exist, credentials that disagree, a
// floating image tag, a command the CLI does not have.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/config.js';
import { TASK_QUEUES } from '../../src/domain/task-queues.js';
import { searchAttributeKeys } from '../../src/domain/search-attributes.js';

const root = new URL('../../', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, root), 'utf8');

// The `prescale` subcommands compose may run. Hard-coded until the CLI's command table is filled
// in; then this becomes an import of src/cli/commands.ts.
const CLI_COMMANDS = ['start', 'api', 'worker', 'migrate'];

// Variables Prescale's processes may be given that src/config.ts does not read: the AWS SDK's
// credentials for MinIO, and Node's own mode switch.
const EXTRA_ENV = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'NODE_ENV']);

// The variables that, left unset, make Prescale fall back to its embedded stand-ins (PGlite, a
// Temporal dev server, a folder): in compose every one must point at a real service.
const EXTERNAL_ENDPOINTS = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'S3_ENDPOINT', 'S3_BUCKET'] as const;

type Env = Record<string, string>;

interface Service {
  name: string;
  raw: Record<string, unknown>;
  image: string | undefined;
  build: unknown;
  env: Env;
  command: string[];
  entrypoint: string[];
  dependsOn: Map<string, string>;
}

/**
 * Compose's variable substitution with an empty environment, so the file is judged by the
 * defaults it ships: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`. A required variable
 * (`${VAR:?}`) would make `docker compose up` fail on a fresh machine, so it fails here too.
 */
function interpolate(value: string, where: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      if (op?.endsWith('?')) assert.fail(`${where}: ${match} needs the variable set; give it a default`);
      if (braced && op?.endsWith('-')) return arg ?? '';
      return '';
    },
  );
}

function interpolateAll(node: unknown, where: string): unknown {
  if (typeof node === 'string') return interpolate(node, where);
  if (Array.isArray(node)) return node.map((v, i) => interpolateAll(v, `${where}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, `${where}.${k}`)]));
  }
  return node;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toEnv(environment: unknown, where: string): Env {
  if (environment === undefined) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const text = String(entry);
        const eq = text.indexOf('=');
        // `- NAME` without a value passes the host's variable through: unset in a fresh environment.
        return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  assert.ok(isRecord(environment), `${where}: environment must be a map or a list`);
  return Object.fromEntries(
    Object.entries(environment).map(([k, v]) => [k, v === null ? '' : String(v as string | number | boolean)]),
  );
}

/** Compose's string form of command/entrypoint is split like a shell would; enough for our files. */
function toArgv(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  assert.equal(typeof value, 'string', `command/entrypoint must be a string or a list, got ${JSON.stringify(value)}`);
  return ((value as string).match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((t) => t.replace(/^(["'])(.*)\1$/, '$2'));
}

function toDependsOn(dependsOn: unknown): Map<string, string> {
  if (dependsOn === undefined) return new Map();
  if (Array.isArray(dependsOn)) return new Map(dependsOn.map((d) => [String(d), 'service_started']));
  assert.ok(isRecord(dependsOn), 'depends_on must be a map or a list');
  return new Map(
    Object.entries(dependsOn).map(([name, spec]) => [
      name,
      isRecord(spec) && typeof spec.condition === 'string' ? spec.condition : 'service_started',
    ]),
  );
}

function loadCompose(): Map<string, Service> {
  // Merge keys (`<<: *anchor`) are YAML 1.1; compose supports them, so the parser must too.
  const doc = interpolateAll(parse(read('docker-compose.yml'), { merge: true }), 'docker-compose.yml');
  assert.ok(isRecord(doc) && isRecord(doc.services), 'docker-compose.yml has no services');
  return new Map(
    Object.entries(doc.services).map(([name, raw]) => {
      assert.ok(isRecord(raw), `service ${name} is not a mapping`);
      return [
        name,
        {
          name,
          raw,
          image: typeof raw.image === 'string' ? raw.image : undefined,
          build: raw.build,
          env: toEnv(raw.environment, `service ${name}`),
          command: toArgv(raw.command),
          entrypoint: toArgv(raw.entrypoint),
          dependsOn: toDependsOn(raw.depends_on),
        },
      ];
    }),
  );
}

const services = loadCompose();
const service = (name: string): Service => {
  const found = services.get(name);
  assert.ok(found, `no service "${name}" in docker-compose.yml (known: ${[...services.keys()].join(', ')})`);
  return found;
};
const prescaleServices = [...services.values()].filter((s) => s.build !== undefined);
const apiService = (): Service => {
  const api = prescaleServices.filter((s) => s.command[0] === 'api');
  assert.equal(
    api.length,
    1,
    `expected one service running \`prescale api\`, found ${api.map((s) => s.name).join(', ') || 'none'}`,
  );
  return api[0]!;
};
const imageName = (image: string): string => image.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
/** A container's whole script, for the init jobs that run `sh -c <script>`; continued lines joined. */
const script = (s: Service): string => [...s.entrypoint, ...s.command].join('\n').replace(/\\\n\s*/g, ' ');

/** Splits `host:port`, or a URL, into the parts the checks compare. */
function endpoint(value: string, defaultPort?: number): { host: string; port: number } {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `tcp://${value}`);
  const port = url.port ? Number(url.port) : defaultPort;
  assert.ok(port !== undefined, `${value}: no port`);
  return { host: url.hostname, port };
}

/** Container ports a service publishes, from the short ("[ip:]host:container[/proto]") or long syntax. */
function publishedContainerPorts(s: Service): number[] {
  const ports = s.raw.ports;
  if (ports === undefined) return [];
  assert.ok(Array.isArray(ports), `${s.name}: ports must be a list`);
  return ports.map((p) => {
    if (isRecord(p)) return Number(p.target);
    const spec = String(p as string | number).replace(/\/(tcp|udp)$/, '');
    return Number(spec.slice(spec.lastIndexOf(':') + 1));
  });
}

/** The words of the first line of `script` that starts with `prefix`, with `$VAR`s taken from `env`. */
function scriptCall(text: string, prefix: string, env: Env): string[] {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith(`${prefix} `));
  assert.ok(line, `no \`${prefix}\` in:\n${text}`);
  return toArgv(line.slice(prefix.length))
    .filter((w) => !w.startsWith('--'))
    .map((w) =>
      w.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => {
        assert.ok(name in env, `\`${prefix}\` uses $${name}, which its service does not set`);
        return env[name]!;
      }),
    );
}

void describe('docker-compose.yml', () => {
  void it('gives every service an image or a build', () => {
    for (const s of services.values()) {
      assert.ok(s.image !== undefined || s.build !== undefined, `${s.name}: neither image nor build`);
    }
  });

  void it('pins every image to a version', () => {
    for (const s of services.values()) {
      if (s.image === undefined) continue;
      assertPinned(s.image, `service ${s.name}`);
    }
  });

  void it('depends only on services that exist, in ways that can be satisfied', () => {
    const conditions = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
    for (const s of services.values()) {
      for (const [target, condition] of s.dependsOn) {
        const dep = services.get(target);
        assert.ok(dep, `${s.name} depends on "${target}", which is not a service`);
        assert.ok(conditions.has(condition), `${s.name} → ${target}: unknown condition ${condition}`);
        if (condition === 'service_healthy') {
          assert.ok(
            dep.raw.healthcheck,
            `${s.name} waits for ${target} to be healthy, but ${target} has no healthcheck`,
          );
        }
        if (condition === 'service_completed_successfully') {
          // A job that restarts on exit never completes, and its dependants never start.
          const restart = typeof dep.raw.restart === 'string' ? dep.raw.restart : 'no';
          assert.ok(
            restart === 'no' || restart.startsWith('on-failure'),
            `${s.name} waits for ${target} to complete, but ${target} has restart: ${restart}`,
          );
        }
      }
    }
  });

  void it('builds exactly the prescale-* services from this repository', () => {
    assert.ok(prescaleServices.length > 0, 'no service is built from this repository');
    for (const s of services.values()) {
      assert.equal(
        s.build !== undefined,
        s.name.startsWith('prescale-'),
        `${s.name}: services built from this repository are named prescale-*, and only they`,
      );
    }
  });

  void it('runs only prescale subcommands, through the image entrypoint', () => {
    for (const s of prescaleServices) {
      assert.equal(
        s.raw.entrypoint,
        undefined,
        `${s.name} overrides the entrypoint, so it would not run bin/prescale.js`,
      );
      const [subcommand, ...args] = s.command;
      assert.ok(
        subcommand && CLI_COMMANDS.includes(subcommand),
        `${s.name}: command ${JSON.stringify(s.command)} is not a prescale subcommand (${CLI_COMMANDS.join(', ')})`,
      );
      if (subcommand === 'worker') {
        const queue = args[args.indexOf('--queue') + 1];
        assert.ok(
          args.includes('--queue') && queue && queue in TASK_QUEUES,
          `${s.name}: worker needs --queue with one of ${Object.keys(TASK_QUEUES).join(', ')}, got ${JSON.stringify(args)}`,
        );
      }
    }
  });

  void it('runs a worker for every task queue, the API and the migration', () => {
    const running = prescaleServices.map((s) => s.command.join(' '));
    for (const queue of Object.keys(TASK_QUEUES)) {
      assert.ok(running.includes(`worker --queue ${queue}`), `no service runs \`prescale worker --queue ${queue}\``);
    }
    apiService();
    assert.ok(running.includes('migrate'), 'no service runs `prescale migrate`');
  });

  void it('starts the long-running Prescale services only after the migration succeeded', () => {
    const migrate = prescaleServices.filter((s) => s.command[0] === 'migrate');
    assert.equal(migrate.length, 1, 'expected one migration service');
    for (const s of prescaleServices) {
      if (s === migrate[0]) continue;
      assert.equal(
        s.dependsOn.get(migrate[0]!.name),
        'service_completed_successfully',
        `${s.name} must wait for ${migrate[0]!.name} to complete successfully`,
      );
    }
  });

  void describe('Prescale configuration', () => {
    const known = new Set(Object.keys(configSchema.shape));

    void it('sets only variables Prescale reads', () => {
      for (const s of prescaleServices) {
        for (const key of Object.keys(s.env)) {
          assert.ok(
            known.has(key) || EXTRA_ENV.has(key),
            `${s.name}: ${key} is neither in src/config.ts nor an allowed extra (${[...EXTRA_ENV].join(', ')})`,
          );
        }
        assert.equal(
          s.raw.env_file,
          undefined,
          `${s.name}: env_file hides variables from these checks; set them in environment`,
        );
      }
    });

    void it('passes loadConfig and points at real services, never the embedded fallbacks', () => {
      for (const s of prescaleServices) {
        assert.doesNotThrow(() => loadConfig(s.env), `${s.name}: loadConfig rejects its environment`);
        for (const key of EXTERNAL_ENDPOINTS) {
          assert.ok(s.env[key], `${s.name}: ${key} is unset, so Prescale would use its embedded stand-in`);
        }
      }
    });

    void it('publishes the API on the port it listens on', () => {
      const api = apiService();
      const port = loadConfig(api.env).PORT;
      const published = publishedContainerPorts(api);
      assert.ok(
        published.includes(port),
        `${api.name} listens on ${port} but publishes container ports ${JSON.stringify(published)}`,
      );
    });

    void it('reaches Temporal on a port the server listens on', () => {
      // Temporal services too: the UI and the namespace job must reach the same server.
      const clients = [...services.values()].filter((s) => s.env.TEMPORAL_ADDRESS);
      assert.ok(
        clients.length > prescaleServices.length,
        'only Prescale sets TEMPORAL_ADDRESS; expected the UI and namespace job too',
      );
      for (const s of clients) {
        const { host, port } = endpoint(s.env.TEMPORAL_ADDRESS!);
        const server = service(host);
        assert.ok(
          server.image && imageName(server.image) === 'temporalio/server',
          `${s.name}: TEMPORAL_ADDRESS host ${host} is not a temporalio/server service`,
        );
        // The frontend's gRPC port, as the server image's config template chooses it.
        const listening = Number(server.env.FRONTEND_GRPC_PORT || 7233);
        assert.equal(port, listening, `${s.name}: TEMPORAL_ADDRESS port ${port}, but ${host} listens on ${listening}`);
      }
    });

    void it('creates the namespace Prescale uses', () => {
      const jobs = [...services.values()].filter((s) => script(s).includes('namespace create'));
      assert.equal(jobs.length, 1, 'expected one job that runs `temporal operator namespace create`');
      const expected = loadConfig(prescaleServices[0]!.env).TEMPORAL_NAMESPACE;
      assert.equal(
        jobs[0]!.env.TEMPORAL_NAMESPACE,
        expected,
        `${jobs[0]!.name} creates a different namespace than Prescale uses`,
      );
      for (const s of prescaleServices.filter((p) => p.command[0] !== 'migrate')) {
        assert.equal(
          s.dependsOn.get(jobs[0]!.name),
          'service_completed_successfully',
          `${s.name} must wait for the namespace`,
        );
      }
    });

    void it('registers exactly the search attributes the workflows use, before Prescale starts', () => {
      const job = [...services.values()].find((s) => script(s).includes('search-attribute create'));
      assert.ok(job, 'no job runs `temporal operator search-attribute create`');
      const line = script(job)
        .split('\n')
        .find((l) => l.includes('search-attribute create'))!;
      const words = toArgv(line);
      // The CLI spells types KeywordList, the SDK KEYWORD_LIST.
      const sdkType = (cli = ''): string => cli.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase();
      const registered = words.flatMap((w, i) =>
        w === '--name' ? [`${words[i + 1]}:${sdkType(words[words.indexOf('--type', i) + 1])}`] : [],
      );
      const expected = searchAttributeKeys.map((k) => `${k.name}:${k.type}`);
      assert.deepEqual(
        [...registered].sort(),
        [...expected].sort(),
        `${job.name} registers other search attributes than src/domain/search-attributes.ts`,
      );
      assert.equal(
        job.env.TEMPORAL_NAMESPACE,
        loadConfig(prescaleServices[0]!.env).TEMPORAL_NAMESPACE,
        `${job.name} registers them in another namespace`,
      );
    });

    void it('connects to the Postgres service with its credentials', () => {
      for (const s of prescaleServices) {
        const url = new URL(s.env.DATABASE_URL!);
        const db = service(url.hostname);
        assert.ok(
          db.image && imageName(db.image) === 'postgres',
          `${s.name}: DATABASE_URL host ${url.hostname} is not a postgres service`,
        );
        const user = db.env.POSTGRES_USER || 'postgres';
        assert.equal(url.port || '5432', '5432', `${s.name}: DATABASE_URL port`);
        assert.equal(
          decodeURIComponent(url.username),
          user,
          `${s.name}: DATABASE_URL user vs ${db.name}'s POSTGRES_USER`,
        );
        assert.equal(
          decodeURIComponent(url.password),
          db.env.POSTGRES_PASSWORD,
          `${s.name}: DATABASE_URL password vs ${db.name}'s POSTGRES_PASSWORD`,
        );
        assert.equal(
          decodeURIComponent(url.pathname.slice(1)),
          db.env.POSTGRES_DB || user,
          `${s.name}: DATABASE_URL database vs ${db.name}'s POSTGRES_DB`,
        );
      }
    });

    void it('gives Temporal the same Postgres and credentials', () => {
      const temporalDb = [...services.values()].filter((s) => s.env.POSTGRES_SEEDS);
      assert.ok(temporalDb.length >= 2, 'expected the Temporal server and its schema job to set POSTGRES_SEEDS');
      for (const s of temporalDb) {
        const db = service(s.env.POSTGRES_SEEDS!);
        assert.ok(
          db.image && imageName(db.image) === 'postgres',
          `${s.name}: POSTGRES_SEEDS is not a postgres service`,
        );
        assert.equal(s.env.POSTGRES_USER, db.env.POSTGRES_USER || 'postgres', `${s.name}: POSTGRES_USER`);
        // The server reads POSTGRES_PWD, temporal-sql-tool SQL_PASSWORD.
        assert.equal(
          s.env.POSTGRES_PWD ?? s.env.SQL_PASSWORD,
          db.env.POSTGRES_PASSWORD,
          `${s.name}: Postgres password`,
        );
      }
    });

    void it('stores objects in the MinIO service, in the bucket and as the user minio-init creates', () => {
      const inits = [...services.values()].filter((s) => /\bmc mb\b/.test(script(s)));
      assert.equal(inits.length, 1, 'expected one job that creates the bucket with `mc mb`');
      const init = inits[0]!;
      const text = script(init);
      // `mc mb <alias>/<bucket>`
      const bucketPath = scriptCall(text, 'mc mb', init.env).find((w) => w.includes('/'));
      const bucket = bucketPath?.slice(bucketPath.indexOf('/') + 1);
      const [, aliasUrl, rootUser, rootPassword] = scriptCall(text, 'mc alias set', init.env);
      const [, accessKey, secretKey] = scriptCall(text, 'mc admin user add', init.env);
      assert.ok(aliasUrl, `${init.name}: mc alias set without a URL`);

      const store = service(endpoint(aliasUrl).host);
      assert.ok(
        store.command.includes('server'),
        `${init.name} talks to ${store.name}, which does not run \`minio server\``,
      );
      assert.equal(rootUser, store.env.MINIO_ROOT_USER, `${init.name}: root user vs ${store.name}`);
      assert.equal(rootPassword, store.env.MINIO_ROOT_PASSWORD, `${init.name}: root password vs ${store.name}`);
      const address = store.command[store.command.indexOf('--address') + 1];
      const apiPort = store.command.includes('--address') && address ? endpoint(address).port : 9000;

      for (const s of prescaleServices) {
        const { host, port } = endpoint(s.env.S3_ENDPOINT!, 80);
        assert.equal(host, store.name, `${s.name}: S3_ENDPOINT host is not the MinIO service`);
        assert.equal(port, apiPort, `${s.name}: S3_ENDPOINT port vs MinIO's API port`);
        assert.equal(s.env.S3_BUCKET, bucket, `${s.name}: S3_BUCKET vs the bucket ${init.name} creates`);
        assert.equal(
          s.env.AWS_ACCESS_KEY_ID,
          accessKey,
          `${s.name}: AWS_ACCESS_KEY_ID vs the user ${init.name} creates`,
        );
        assert.equal(
          s.env.AWS_SECRET_ACCESS_KEY,
          secretKey,
          `${s.name}: AWS_SECRET_ACCESS_KEY vs the user ${init.name} creates`,
        );
        if (s.command[0] !== 'migrate') {
          assert.equal(
            s.dependsOn.get(init.name),
            'service_completed_successfully',
            `${s.name} must wait for ${init.name}`,
          );
        }
      }
    });
  });
});

/** Pinned: a digest, a numeric version with at least major.minor, or MinIO's dated RELEASE tags. */
function assertPinned(image: string, where: string): void {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return;
  const tag = /:([^:/]+)$/.exec(image)?.[1];
  assert.ok(tag, `${where}: ${image} has no tag`);
  assert.ok(
    /^v?\d+\.\d+/.test(tag) || /^RELEASE\.\d{4}-\d{2}-\d{2}T/.test(tag),
    `${where}: ${image} is not pinned to a version (tag "${tag}" can move)`,
  );
}

void describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const instruction = (name: string): string[] =>
    lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());
  const execForm = (name: string): string[] => {
    const last = instruction(name).at(-1);
    assert.ok(last, `Dockerfile has no ${name}`);
    // Shell form would run under /bin/sh, which swallows SIGTERM instead of passing it to node.
    assert.ok(last.startsWith('['), `${name} must use the exec (JSON) form`);
    return JSON.parse(last) as string[];
  };

  void it('pins every base image to a version', () => {
    const args = new Map(
      instruction('ARG').map((a) => {
        const [key, value = ''] = a.split('=');
        return [key!, value] as const;
      }),
    );
    const stages = new Set<string>();
    for (const from of instruction('FROM')) {
      const [image = '', , stage] = from.split(/\s+/).filter((w) => !w.startsWith('--'));
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_m, name: string) => args.get(name) ?? '');
      if (!stages.has(resolved)) assertPinned(resolved, `Dockerfile FROM ${from}`);
      if (stage) stages.add(stage);
    }
  });

  void it('runs bin/prescale.js as its entrypoint, with a prescale subcommand by default', () => {
    const entrypoint = execForm('ENTRYPOINT');
    assert.equal(entrypoint[0], 'node', 'ENTRYPOINT must start node');
    assert.ok(
      entrypoint.slice(1).some((a) => a === 'bin/prescale.js' || a.endsWith('/bin/prescale.js')),
      `ENTRYPOINT ${JSON.stringify(entrypoint)} does not run bin/prescale.js`,
    );
    const [subcommand] = execForm('CMD');
    assert.ok(subcommand && CLI_COMMANDS.includes(subcommand), `CMD ${subcommand} is not a prescale subcommand`);
  });

  void it('copies what the entrypoint needs and runs as a non-root user', () => {
    const copied = instruction('COPY')
      .filter((c) => !c.startsWith('--from'))
      .flatMap((c) => c.split(/\s+/).slice(0, -1));
    for (const needed of ['bin', 'src', 'package.json']) {
      assert.ok(copied.includes(needed), `Dockerfile never copies ${needed}`);
    }
    const user = instruction('USER').at(-1);
    assert.ok(user && user !== 'root' && user !== '0', 'the image must end with a non-root USER');
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const local of ['node_modules', '.prescale']) {
      assert.ok(
        ignored.includes(local),
        `.dockerignore must exclude ${local}, or the host's copy ends up in the image`,
      );
    }
  });
});
