import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

/**
 * Writes `## title` and its body into bench/RESULTS.md, replacing that section if present. Read
 * right before writing: every benchmark keeps its own section in the same file.
 */
export async function recordSection(title: string, body: string): Promise<void> {
  const heading = `## ${title}\n`;
  const section = `${heading}\n${body.trim()}\n`;
  const current = existsSync(RESULTS) ? await readFile(RESULTS, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf(heading);
  let next;
  if (start < 0) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const end = current.indexOf('\n## ', start + heading.length);
    next = current.slice(0, start) + section + (end < 0 ? '' : `\n${current.slice(end + 1)}`);
  }
  await writeFile(RESULTS, `${next.trimEnd()}\n`);
}

/** A Markdown table: a header row, its rule, then the rows. */
export const markdownTable = (header: string[], rows: string[][]): string =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
