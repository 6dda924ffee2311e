// An app that is not the sample service, for the agent's delivery tests: it reads its settings from
// a YAML or env-format file at start and on SIGHUP, or takes them on PUT /settings (refusing
// `{ "mode": "reject" }` with 422). GET /settings shows what it runs and how often it reloaded.
//   node --import tsx test/agent/settings-app.ts --port P [--file F --format yaml|env --pid-file F]
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string' },
    file: { type: 'string' },
    format: { type: 'string' },
    'pid-file': { type: 'string' },
  },
});

// Reads back what the agent writes: KEY=value, strings double-quoted with C-style escapes.
function parseEnv(text: string): Record<string, unknown> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => {
        const at = line.indexOf('=');
        const raw = line.slice(at + 1);
        return [
          line.slice(0, at),
          raw.startsWith('"') ? (JSON.parse(raw.replace(/\\\$/g, '$')) as unknown) : (JSON.parse(raw) as unknown),
        ];
      }),
  );
}

let settings: unknown = {};
let version: unknown = null;
let reloads = 0;

function readSettings(): void {
  let text: string;
  try {
    text = readFileSync(flags.file!, 'utf8');
  } catch {
    return;
  }
  settings = flags.format === 'env' ? parseEnv(text) : (parseYaml(text) as unknown);
}

if (flags.file) readSettings();
if (flags['pid-file']) writeFileSync(flags['pid-file'], `${process.pid}\n`);
process.on('SIGHUP', () => {
  readSettings();
  reloads += 1;
});

const server = createServer((req, res) => {
  const answer = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/healthz') return answer(200, { status: 'ok' });
  if (req.method === 'GET' && req.url === '/settings') return answer(200, { settings, version, reloads });
  if (req.method !== 'PUT' || req.url !== '/settings') return answer(404, { error: { message: 'not found' } });
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { version: unknown; params: { mode?: unknown } };
    if (body.params.mode === 'reject') return answer(422, { error: { message: 'mode "reject" is not a mode' } });
    settings = body.params;
    version = body.version;
    reloads += 1;
    answer(200, { reloads });
  });
});
server.listen(Number(flags.port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
