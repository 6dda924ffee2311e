/** pino's numeric levels as a person reads them, padded to one width so messages line up. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
// Written by pino on every line, or shown apart: not repeated among the fields.
const SHOWN_APART = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err']);

const value = (v: unknown): string => (typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v));

/**
 * One of pino's JSON lines as a person reads it in a terminal: time, level, logger, message, then
 * the fields as key=value on the same line; an error's stack follows, indented. Anything not
 * JSON passes as it is.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 23);
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([k]) => !SHOWN_APART.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  const err = entry.err as { type?: string; message?: string; stack?: string } | undefined;
  const head = [
    time,
    level,
    `${typeof entry.name === 'string' ? `${entry.name}: ` : ''}${typeof entry.msg === 'string' ? entry.msg : ''}`,
    ...fields,
    ...(err ? [`err=${value(`${err.type ?? 'Error'}: ${err.message ?? ''}`)}`] : []),
  ].join(' ');
  const stack = err?.stack
    ?.split('\n')
    .slice(1)
    .map((l) => `    ${l.trim()}`)
    .join('\n');
  return `${head}${stack ? `\n${stack}` : ''}\n`;
}

/** A destination that writes pino's lines pretty to `out`. */
export const prettyTo = (out: { write(text: string): unknown }): { write(line: string): void } => ({
  write: (line) => {
    out.write(prettyLine(line));
  },
});
