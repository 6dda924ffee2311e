import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiskBuffer } from '../../src/agent/disk-buffer.js';
import type { MetricSample } from '../../src/domain/metrics.js';

const sample = (seq: number): MetricSample => ({
  seq,
  ts: 1_700_000_000_000 + seq * 5000,
  intervalMs: 5000,
  requests: seq,
  errors: 0,
  latencyP50Ms: null,
  latencyP95Ms: null,
  latencyP99Ms: null,
  poolUtilization: null,
  queueDepth: null,
  cpuPercent: null,
  memoryBytes: null,
  processCpuPercent: null,
  processRssBytes: null,
  netRxBytesPerSec: null,
  netTxBytesPerSec: null,
  diskReadBytesPerSec: null,
  diskWriteBytesPerSec: null,
  custom: {},
});

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'prescale-buffer-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('DiskBuffer', () => {
  it('hands samples out oldest first and forgets them only when removed, across reopening', async () => {
    const dir = path.join(root, 'order');
    const buffer = await DiskBuffer.open(dir, { maxSamples: 100, segmentSamples: 3 });
    for (let seq = 0; seq < 8; seq++) await buffer.append(sample(seq));
    const first = await buffer.peek(5);
    assert.deepEqual(
      first.samples.map((s) => s.seq),
      [0, 1, 2, 3, 4],
    );
    assert.equal(buffer.size, 8, 'peek removes nothing');
    await buffer.remove(first.end);

    const reopened = await DiskBuffer.open(dir, { maxSamples: 100, segmentSamples: 3 });
    assert.equal(reopened.size, 3);
    assert.equal(reopened.lastSeqOnDisk, 7);
    await reopened.append(sample(8));
    const rest = await reopened.peek(10);
    assert.deepEqual(
      rest.samples.map((s) => s.seq),
      [5, 6, 7, 8],
    );
    await reopened.remove(rest.end);
    assert.equal(reopened.size, 0);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.jsonl')),
      [],
      'delivered segments are deleted',
    );
  });

  it('cuts a batch at a byte budget, but never below one sample', async () => {
    const buffer = await DiskBuffer.open(path.join(root, 'bytes'), { maxSamples: 100, segmentSamples: 2 });
    for (let seq = 0; seq < 5; seq++) await buffer.append(sample(seq));
    const lineBytes = JSON.stringify(sample(0)).length + 1;
    const batch = await buffer.peek(100, lineBytes * 3);
    assert.deepEqual(
      batch.samples.map((s) => s.seq),
      [0, 1, 2],
    );
    assert.equal((await buffer.peek(100, 1)).samples.length, 1);
    await buffer.remove(batch.end);
    assert.deepEqual(
      (await buffer.peek(100)).samples.map((s) => s.seq),
      [3, 4],
    );
  });

  it('drops the oldest samples past its bound and counts them', async () => {
    const buffer = await DiskBuffer.open(path.join(root, 'bound'), { maxSamples: 5, segmentSamples: 2 });
    for (let seq = 0; seq < 12; seq++) await buffer.append(sample(seq));
    assert.equal(buffer.size, 5);
    assert.equal(buffer.droppedTotal, 7);
    assert.deepEqual(
      (await buffer.peek(10)).samples.map((s) => s.seq),
      [7, 8, 9, 10, 11],
    );
  });

  it('removes a delivered batch without taking newer samples when drops moved past it meanwhile', async () => {
    const buffer = await DiskBuffer.open(path.join(root, 'race'), { maxSamples: 4, segmentSamples: 2 });
    for (let seq = 0; seq < 4; seq++) await buffer.append(sample(seq));
    const inFlight = await buffer.peek(4);
    // While the batch is on its way, two more samples push the two oldest out.
    await buffer.append(sample(4));
    await buffer.append(sample(5));
    await buffer.remove(inFlight.end);
    assert.deepEqual(
      (await buffer.peek(10)).samples.map((s) => s.seq),
      [4, 5],
    );
    assert.equal(buffer.droppedTotal, 2);
  });

  it('ignores a line torn by a crash and never appends after it', async () => {
    const dir = path.join(root, 'torn');
    const buffer = await DiskBuffer.open(dir, { maxSamples: 100 });
    await buffer.append(sample(0));
    const [segment] = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
    await appendFile(path.join(dir, segment!), '{"seq":1,"ts":');
    const reopened = await DiskBuffer.open(dir, { maxSamples: 100 });
    assert.equal(reopened.size, 1);
    await reopened.append(sample(1));
    assert.deepEqual(
      (await reopened.peek(10)).samples.map((s) => s.seq),
      [0, 1],
    );
  });
});
