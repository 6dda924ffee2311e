import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { appConfigSchema } from '../../domain/app-config.js';

const processSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  /** Absent between recording the instance and spawning it; a restart then spawns it. */
  pid: z.number().int().min(1).optional(),
});

const instanceSchema = z.strictObject({
  id: z.string(),
  resourceSetId: z.string(),
  instanceType: z.string(),
  image: z.string(),
  config: appConfigSchema,
  state: z.enum(['pending', 'running', 'draining', 'terminated']),
  healthy: z.boolean(),
  launchedAt: z.string(),
  /** Epoch ms before which the instance is still booting, whatever its agent says. */
  bootUntil: z.number(),
  terminatedAt: z.string().optional(),
  app: processSchema,
  agent: processSchema,
});

/** What a client token was used for, so a retry gets the same answer and a different ask a 409. */
const tokenSchema = z.strictObject({
  params: z.string(),
  instanceIds: z.array(z.string()),
});

const cloudStateSchema = z.strictObject({
  version: z.literal(1),
  instances: z.record(z.string(), instanceSchema),
  launches: z.record(z.string(), tokenSchema),
  terminations: z.record(z.string(), tokenSchema),
});

export type InstanceRecord = z.infer<typeof instanceSchema>;
export type CloudState = z.infer<typeof cloudStateSchema>;

/**
 * The local cloud's whole state in one JSON file. Every change is written to a temporary file,
 * flushed and renamed over the old one, so a crash at any moment leaves either the old state or
 * the new one, never half of each.
 */
export class StateFile {
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'cloud-state.json');
  }

  async load(): Promise<CloudState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { version: 1, instances: {}, launches: {}, terminations: {} };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file}: not valid JSON (${(err as Error).message})`);
    }
    const parsed = cloudStateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${this.file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  }

  /** Resolves once a snapshot taken after this call is durably on disk. */
  save(state: CloudState): Promise<void> {
    // Chained so renames never interleave; each write serialises the state as it is when it runs,
    // which includes every change made before this call.
    const next = this.writing.then(() => this.write(JSON.stringify(state)));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.file}.tmp`;
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
  }
}
