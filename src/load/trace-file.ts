import { readFile } from 'node:fs/promises';
import { parseTraceCsv, toMinuteSteps, type MinuteSeries } from '../sim/trace.js';

/** Reads a trace CSV and puts it on 1-minute steps; the simulator itself (src/sim) takes the series and reads no file. */
export async function readTraceFile(path: string): Promise<MinuteSeries> {
  return toMinuteSteps(parseTraceCsv(await readFile(path, 'utf8')));
}
