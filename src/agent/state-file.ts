import { open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes through a temporary file and a rename, so a crash leaves the old content or the new, never half.
 * `durable` also syncs the file and its directory: for files another process reads (an app's
 * configuration), where a power cut must not leave the rename on disk but not the content.
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  options: { durable?: boolean } = {},
): Promise<void> {
  const temporary = `${file}.tmp`;
  if (!options.durable) {
    await writeFile(temporary, content);
    await rename(temporary, file);
    return;
  }
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The parsed JSON content, or undefined when the file does not exist. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
