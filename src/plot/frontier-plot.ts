import type { Frontier, FrontierPolicy } from '../sim/frontier.js';
import { escape, FONT, niceStep } from './line-chart.js';

const COLORS: Record<FrontierPolicy, string> = { predictive: '#1f6fd1', hpa: '#e8710a', aws: '#1e9e4a' };
const WIDTH = 900;
const HEIGHT = 560;
const MARGIN = { left: 70, right: 30, top: 70, bottom: 56 };

/**
 * Short minutes against cost, one line per policy through its operating points (cheapest first),
 * today's configuration ringed: the lower-left a point, the better.
 */
export function frontierSvg(trace: string, { points, today }: Frontier): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const costs = points.map((p) => p.cost);
  const xMin = Math.floor(Math.min(...costs) * 20) / 20;
  const xMax = Math.ceil(Math.max(...costs) * 20) / 20;
  const yStep = niceStep(Math.max(0.1, ...points.map((p) => p.tauU)) * 1.05);
  const yMax = Math.ceil((Math.max(0.1, ...points.map((p) => p.tauU)) * 1.05) / yStep) * yStep;
  const x = (cost: number): number => MARGIN.left + ((cost - xMin) / Math.max(1e-9, xMax - xMin)) * plotWidth;
  const y = (tau: number): number => MARGIN.top + plotHeight - (tau / yMax) * plotHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${MARGIN.left}" y="26" font-size="18" font-weight="700" ${FONT}>${escape(`Frontier of ${trace}: short minutes against cost`)}</text>`,
    `<text x="${MARGIN.left}" y="46" font-size="12" fill="#555" ${FONT}>${escape(`hpa and aws at targets 0.5–0.9, predictive at its objectives; ringed: today's configuration (${today.tauU.toFixed(2)} % short at ${today.cost.toFixed(3)}; the baselines reach ${today.envelopeTau.toFixed(2)} % at that cost)`)}</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${MARGIN.left - 8}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555" ${FONT}>${Number(v.toFixed(3))}</text>`,
    );
  }
  for (let c = xMin; c <= xMax + 1e-9; c += 0.1) {
    out.push(
      `<line x1="${x(c).toFixed(1)}" x2="${x(c).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#f0f0f0"/>`,
    );
    out.push(
      `<text x="${x(c).toFixed(1)}" y="${MARGIN.top + plotHeight + 16}" font-size="11" text-anchor="middle" fill="#555" ${FONT}>${c.toFixed(1)}</text>`,
    );
  }
  (Object.keys(COLORS) as FrontierPolicy[]).forEach((policy, row) => {
    const mine = points.filter((p) => p.policy === policy).sort((a, b) => a.cost - b.cost);
    const color = COLORS[policy];
    out.push(
      `<path d="${mine.map((p, i) => `${i ? 'L' : 'M'}${x(p.cost).toFixed(1)},${y(p.tauU).toFixed(1)}`).join('')}" fill="none" stroke="${color}" stroke-width="1.6"/>`,
    );
    for (const p of mine) {
      out.push(
        `<circle cx="${x(p.cost).toFixed(1)}" cy="${y(p.tauU).toFixed(1)}" r="4" fill="${color}"><title>${escape(`${policy} ${p.label}: ${p.tauU.toFixed(2)} % short at ${p.cost.toFixed(3)}`)}</title></circle>`,
      );
      out.push(
        `<text x="${(x(p.cost) + 6).toFixed(1)}" y="${(y(p.tauU) - 6).toFixed(1)}" font-size="10" fill="${color}" ${FONT}>${escape(p.label)}</text>`,
      );
      if (p.current)
        out.push(
          `<circle cx="${x(p.cost).toFixed(1)}" cy="${y(p.tauU).toFixed(1)}" r="10" fill="none" stroke="#202124" stroke-width="2"/>`,
        );
    }
    const ly = MARGIN.top + 14 + row * 18;
    out.push(
      `<line x1="${WIDTH - MARGIN.right - 150}" x2="${WIDTH - MARGIN.right - 128}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(`<text x="${WIDTH - MARGIN.right - 122}" y="${ly}" font-size="12" ${FONT}>${policy}</text>`);
  });
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  );
  out.push(
    `<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#333" ${FONT}>short minutes (τU, %)</text>`,
  );
  out.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" font-size="12" text-anchor="middle" fill="#333" ${FONT}>cost (paid instance-minutes ÷ the oracle's)</text>`,
  );
  out.push('</svg>', '');
  return out.join('\n');
}
