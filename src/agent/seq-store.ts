import path from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeFileAtomic } from './state-file.js';

const stateSchema = z.object({ next: z.number().int().min(0) });

/** Sample sequence numbers that keep increasing across agent restarts. */
export class SeqStore {
  private constructor(
    private readonly file: string,
    private next: number,
  ) {}

  /** `atLeast`: a floor from elsewhere (the buffer's newest sample + 1) in case the file lags. */
  static async open(stateDir: string, atLeast = 0): Promise<SeqStore> {
    const file = path.join(stateDir, 'next-seq.json');
    const raw = await readJsonFile(file);
    const parsed = raw === undefined ? { next: 0 } : stateSchema.safeParse(raw).data;
    if (!parsed) throw new Error(`${file}: not a sequence state ({"next": n}); fix or remove it`);
    return new SeqStore(file, Math.max(parsed.next, atLeast));
  }

  /** Persists the number as used before handing it out: a crash may skip one, never repeat one. */
  async take(): Promise<number> {
    const seq = this.next;
    await writeFileAtomic(this.file, JSON.stringify({ next: seq + 1 }));
    this.next = seq + 1;
    return seq;
  }
}
