/** One series of a panel: a value per minute. */
export interface Line {
  name: string;
  color: string;
  values: ArrayLike<number>;
  width?: number;
  /** SVG stroke-dasharray. */
  dash?: string;
  /** Filled down to zero (lightly) instead of stroked. */
  area?: boolean;
}

/** A time-series panel over minutes from..to (exclusive) of its lines. */
export interface Panel {
  title: string;
  yLabel: string;
  /** Epoch minutes of index 0. */
  start: number;
  from: number;
  to: number;
  lines: Line[];
}

export interface Chart {
  title: string;
  subtitle: string;
  panels: Panel[];
}

const WIDTH = 1200;
const PANEL_HEIGHT = 340;
const MARGIN = { left: 64, right: 24, top: 36, bottom: 44 };
const LEGEND_TOP = 52;
const LEGEND_ROW = 18;
const MINUTES = { hour: 60, day: 1440 };
const TICK_MINUTES = [15, 30, 60, 180, 360, 720, 1440, 2 * 1440, 7 * 1440, 14 * 1440, 28 * 1440];
const MAX_TICKS = 12;
export const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export const escape = (text: string): string =>
  text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Means of consecutive buckets of `size` minutes. */
function buckets(values: ArrayLike<number>, from: number, to: number, size: number): { at: number; value: number }[] {
  const out: { at: number; value: number }[] = [];
  for (let b = from; b < to; b += size) {
    const end = Math.min(to, b + size);
    let sum = 0;
    for (let i = b; i < end; i++) sum += values[i]!;
    out.push({ at: (b + end - 1) / 2, value: sum / (end - b) });
  }
  return out;
}

/** 1, 2 or 5 times a power of ten, so that `max` takes about five steps. */
export function niceStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * power).find((s) => s >= raw)!;
}

function timeLabel(epochMinutes: number, interval: number): string {
  const iso = new Date(epochMinutes * 60_000).toISOString();
  return interval >= MINUTES.day
    ? iso.slice(5, 10)
    : interval >= MINUTES.hour && iso.slice(11, 16) === '00:00'
      ? iso.slice(5, 10)
      : iso.slice(11, 16);
}

function renderPanel(panel: Panel, top: number): string {
  const { from, to, start } = panel;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  // About one point per pixel column: more would only hide the lines under each other.
  const size = Math.max(1, Math.ceil((to - from) / plotWidth));
  const series = panel.lines.map((line) => ({ line, points: buckets(line.values, from, to, size) }));
  // A little room above the highest line, so that it does not run along the frame.
  const max = 1.05 * Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.value)));
  const yStep = niceStep(max);
  const yMax = Math.ceil(max / yStep) * yStep;
  const x = (minute: number): number => MARGIN.left + ((minute - from) / Math.max(1, to - from - 1)) * plotWidth;
  const y = (value: number): number => top + MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const out: string[] = [];

  const title = size > 1 ? `${panel.title} — means of ${size}-minute buckets` : `${panel.title} — each minute`;
  out.push(`<text x="${MARGIN.left}" y="${top + 22}" font-size="15" font-weight="600" ${FONT}>${escape(title)}</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${MARGIN.left - 8}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555" ${FONT}>${fmt(v)}</text>`,
    );
  }
  const interval = TICK_MINUTES.find((m) => (to - from) / m <= MAX_TICKS) ?? TICK_MINUTES.at(-1)!;
  const firstTick = Math.ceil((start + from) / interval) * interval - start;
  for (let m = firstTick; m < to; m += interval) {
    out.push(
      `<line x1="${x(m).toFixed(1)}" x2="${x(m).toFixed(1)}" y1="${top + MARGIN.top}" y2="${top + MARGIN.top + plotHeight}" stroke="#f0f0f0"/>`,
    );
    out.push(
      `<text x="${x(m).toFixed(1)}" y="${top + PANEL_HEIGHT - MARGIN.bottom + 16}" font-size="11" text-anchor="middle" fill="#555" ${FONT}>${timeLabel(start + m, interval)}</text>`,
    );
  }
  for (const { line, points } of series) {
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join('');
    if (line.area && points.length) {
      out.push(
        `<path d="${d}L${x(points.at(-1)!.at).toFixed(1)},${y(0).toFixed(1)}L${x(points[0]!.at).toFixed(1)},${y(0).toFixed(1)}Z" fill="${line.color}" fill-opacity="0.25" stroke="none"/>`,
      );
    } else {
      out.push(
        `<path d="${d}" fill="none" stroke="${line.color}" stroke-width="${line.width ?? 1.5}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''} stroke-linejoin="round"/>`,
      );
    }
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  );
  out.push(
    `<text transform="translate(16 ${top + MARGIN.top + plotHeight / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#333" ${FONT}>${escape(panel.yLabel)}</text>`,
  );
  out.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${top + PANEL_HEIGHT - 6}" font-size="12" text-anchor="middle" fill="#333" ${FONT}>time (UTC)</text>`,
  );
  return out.join('\n');
}

/** The legend of the first panel's lines, in as many rows under the title as it takes. */
function legend(lines: Line[]): { svg: string; height: number } {
  let x = MARGIN.left;
  let row = 0;
  const items = lines.map((line) => {
    const width = 40 + line.name.length * 7;
    if (x + width > WIDTH - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      row++;
    }
    const y = LEGEND_TOP + row * LEGEND_ROW;
    const swatch = line.area
      ? `<rect x="${x}" y="${y}" width="22" height="10" fill="${line.color}" fill-opacity="0.25"/>`
      : `<line x1="${x}" x2="${x + 22}" y1="${y + 5}" y2="${y + 5}" stroke="${line.color}" stroke-width="${line.width ?? 1.5}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`;
    const item = `${swatch}<text x="${x + 28}" y="${y + 9}" font-size="12" ${FONT}>${escape(line.name)}</text>`;
    x += width;
    return item;
  });
  return { svg: items.join('\n'), height: LEGEND_TOP + (row + 1) * LEGEND_ROW };
}

/** A standalone SVG document: title, legend, and the panels one under another. */
export function renderChart(chart: Chart): string {
  const key = legend(chart.panels[0]?.lines ?? []);
  const height = key.height + chart.panels.length * PANEL_HEIGHT;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="18" font-weight="700" ${FONT}>${escape(chart.title)}</text>`,
    `<text x="${MARGIN.left}" y="42" font-size="12" fill="#555" ${FONT}>${escape(chart.subtitle)}</text>`,
    key.svg,
    ...chart.panels.map((panel, i) => renderPanel(panel, key.height + i * PANEL_HEIGHT)),
    '</svg>',
    '',
  ].join('\n');
}
