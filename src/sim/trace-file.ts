import { readFile } from 'node:fs/promises';
import { parseTraceCsv, toMinuteSteps, type MinuteSeries } from './trace.js';

/** Reads a trace CSV and puts it on 1-minute steps: the only file I/O of the simulator. */
export async function readTraceFile(path: string): Promise<MinuteSeries> {
  return toMinuteSteps(parseTraceCsv(await readFile(path, 'utf8')));
}
