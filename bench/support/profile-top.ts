// Self time by function (and by file) of a .cpuprofile: `npx tsx bench/support/profile-top.ts FILE [N]`.
import { readFile } from 'node:fs/promises';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, n = '25'] = process.argv.slice(2);
const profile = JSON.parse(await readFile(file!, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
};
const byNode = new Map<number, number>();
profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const us = byNode.get(node.id) ?? 0;
  const where = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const module = where.startsWith('@')
    ? where.split('/').slice(0, 2).join('/')
    : where.split('/')[0] || node.callFrame.functionName;
  byFile.set(module, (byFile.get(module) ?? 0) + us);
}
const total = [...byNode.values()].reduce((a, b) => a + b, 0);
const show = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n))
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
console.log(
  `total ${(total / 1000).toFixed(0)} ms sampled over ${((profile.endTime - profile.startTime) / 1e6).toFixed(0)} s\n\nby package or folder:\n${show(byFile)}\n\nby function:\n${show(byFunction)}`,
);
