import { appendFile, mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { metricSampleSchema, type MetricSample } from '../domain/metrics.js';
import { Serial } from './serial.js';
import { readJsonFile, writeFileAtomic } from './state-file.js';

export interface BufferOptions {
  /** Bound on samples held; past it the oldest are dropped (and counted). */
  maxSamples: number;
  /** Samples per segment file. */
  segmentSamples?: number;
}

/** A place in the buffer: just after line `line` of segment `segment`. */
export interface Position {
  segment: number;
  line: number;
}

export interface Batch {
  /** Fewer than the lines covered when some line was unreadable. */
  samples: MetricSample[];
  /** Where the batch ends: `remove(end)` forgets it, and nothing newer. */
  end: Position;
}

interface Segment {
  id: number;
  /** Complete (newline-terminated) lines. */
  lines: number;
}

const SEGMENT_FILE = /^(\d{12})\.jsonl$/;
const cursorSchema = z.object({ segment: z.number().int().min(0), consumed: z.number().int().min(0) });

/**
 * Samples waiting for the control plane, on disk so neither an outage nor an agent restart loses
 * them: append-only JSON-lines segments, oldest first, and a cursor (segment, lines consumed) that
 * only moves forward once a batch was delivered (or judged undeliverable, or dropped by the bound).
 * Only the segments' line counts live in memory. Appends go to a segment of this run's own, so a
 * line torn by a crash is never extended; such a line has no newline and is never counted.
 */
export class DiskBuffer {
  private consumed = 0;
  private writing: number | null = null;
  private readonly serial = new Serial();
  /** Samples dropped by the bound since this process started. */
  droppedTotal = 0;

  private constructor(
    private readonly dir: string,
    private readonly segments: Segment[],
    private nextId: number,
    private readonly options: Required<BufferOptions>,
    /** The newest sample's seq found on disk when opened. */
    readonly lastSeqOnDisk: number | null,
  ) {}

  static async open(dir: string, options: BufferOptions): Promise<DiskBuffer> {
    await mkdir(dir, { recursive: true });
    const cursorFile = path.join(dir, 'cursor.json');
    const cursor = cursorSchema.safeParse((await readJsonFile(cursorFile)) ?? { segment: 0, consumed: 0 }).data;
    if (!cursor) throw new Error(`${cursorFile}: not a buffer cursor; fix or remove it`);
    const ids = (await readdir(dir))
      .flatMap((f) => {
        const m = SEGMENT_FILE.exec(f);
        return m ? [Number(m[1])] : [];
      })
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    let lastText = '';
    for (const id of ids) {
      const file = path.join(dir, segmentName(id));
      // Segments before the cursor were delivered; a crash came between moving it and deleting them.
      if (id < cursor.segment) {
        await unlink(file);
        continue;
      }
      lastText = await readFile(file, 'utf8');
      segments.push({ id, lines: countLines(lastText) });
    }
    const buffer = new DiskBuffer(
      dir,
      segments,
      Math.max(cursor.segment, (ids.at(-1) ?? -1) + 1),
      { segmentSamples: 1000, ...options },
      lastSeq(lastText),
    );
    buffer.consumed = segments[0]?.id === cursor.segment ? cursor.consumed : 0;
    await buffer.settle();
    return buffer;
  }

  get size(): number {
    let lines = 0;
    for (const s of this.segments) lines += s.lines;
    return lines - this.consumed;
  }

  append(sample: MetricSample): Promise<void> {
    return this.serial.run(async () => {
      let tail = this.segments.at(-1);
      if (!tail || tail.id !== this.writing || tail.lines >= this.options.segmentSamples) {
        tail = { id: this.nextId++, lines: 0 };
        this.segments.push(tail);
        this.writing = tail.id;
      }
      await appendFile(this.file(tail.id), `${JSON.stringify(sample)}\n`);
      tail.lines++;
      const excess = this.size - this.options.maxSamples;
      if (excess > 0) {
        this.droppedTotal += excess;
        this.consumed += excess;
        await this.settle();
      }
    });
  }

  /** The oldest samples, up to `max` of them and about `maxBytes` of JSON (at least one), without removing them. */
  peek(max: number, maxBytes = Infinity): Promise<Batch> {
    return this.serial.run(async () => {
      const samples: MetricSample[] = [];
      let end: Position = { segment: this.segments[0]?.id ?? this.nextId, line: this.consumed };
      let taken = 0;
      let bytes = 0;
      let from = this.consumed;
      for (const segment of this.segments) {
        const text = await readFile(this.file(segment.id), 'utf8');
        const lines = text.split('\n').slice(from, segment.lines);
        let line = from;
        for (const json of lines) {
          if (taken >= max || (taken > 0 && bytes + json.length > maxBytes)) return { samples, end };
          const sample = parseSample(json);
          if (sample) samples.push(sample);
          taken++;
          bytes += json.length + 1;
          end = { segment: segment.id, line: ++line };
        }
        from = 0;
      }
      return { samples, end };
    });
  }

  /**
   * Forgets everything up to `end` (a delivered or undeliverable batch). Drops by the bound may
   * have moved past part of it meanwhile; what came after it stays.
   */
  remove(end: Position): Promise<void> {
    return this.serial.run(async () => {
      // In lines from the head segment's start, like `consumed`.
      let upTo = 0;
      for (const segment of this.segments) {
        if (segment.id < end.segment) upTo += segment.lines;
        else if (segment.id === end.segment) upTo += end.line;
      }
      this.consumed = Math.max(this.consumed, upTo);
      await this.settle();
    });
  }

  /** Moves the cursor past fully consumed segments, persists it, then deletes those segments. */
  private async settle(): Promise<void> {
    const done: Segment[] = [];
    while (this.segments[0] && this.segments[0].lines <= this.consumed) {
      const head = this.segments.shift()!;
      this.consumed -= head.lines;
      done.push(head);
    }
    await writeFileAtomic(
      path.join(this.dir, 'cursor.json'),
      JSON.stringify({ segment: this.segments[0]?.id ?? this.nextId, consumed: this.consumed }),
    );
    await Promise.all(done.map((s) => unlink(this.file(s.id)).catch(() => undefined)));
  }

  private file(id: number): string {
    return path.join(this.dir, segmentName(id));
  }
}

const segmentName = (id: number): string => `${String(id).padStart(12, '0')}.jsonl`;

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function parseSample(line: string): MetricSample | null {
  try {
    return metricSampleSchema.safeParse(JSON.parse(line)).data ?? null;
  } catch {
    return null;
  }
}

function lastSeq(text: string): number | null {
  const lines = text.split('\n').slice(0, countLines(text));
  for (let i = lines.length - 1; i >= 0; i--) {
    const sample = parseSample(lines[i]!);
    if (sample) return sample.seq;
  }
  return null;
}
