/** One line of a Prometheus text exposition (format 0.0.4). */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: PromSample[];
  /** Metric family name → counter | gauge | histogram | summary | untyped, from `# TYPE` lines. */
  types: Map<string, string>;
}

export class ExpositionError extends Error {
  override name = 'ExpositionError';
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`"${text}" is not a number`);
  return value;
}

/** Parses `{a="x",b="y\"z"}` starting at `start` (the brace); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (!name) throw new Error(`bad label name at column ${i + 1}`);
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected ="…" after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`unterminated value of label ${name}`);
      i++;
      if (c === '"') break;
      if (c === '\\') {
        const escaped = line[i];
        i++;
        value += (escaped !== undefined && ESCAPES[escaped]) ?? `\\${escaped ?? ''}`;
      } else {
        value += c;
      }
    }
    labels[name] = value;
  }
}

/** Parses a whole exposition; like Prometheus, any malformed line fails the scrape. */
export function parsePrometheusText(text: string): Exposition {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, name, type] = line.split(/\s+/);
      if (keyword === 'TYPE' && name && type) types.set(name, type);
      continue;
    }
    try {
      const name = NAME.exec(line)?.[0];
      if (!name) throw new Error('no metric name');
      let i = name.length;
      let labels: Record<string, string> = {};
      if (line[i] === '{') [labels, i] = parseLabels(line, i);
      // The value, then an optional timestamp, which a scrape of "now" ignores.
      const [valueText = ''] = line.slice(i).trim().split(/\s+/);
      samples.push({ name, labels, value: parseValue(valueText) });
    } catch (err) {
      throw new ExpositionError(`line ${n + 1}: ${(err as Error).message}: ${line.slice(0, 120)}`);
    }
  }
  return { samples, types };
}
