import { randomUUID } from 'node:crypto';
import { access, constants, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { assertValidKey, assertValidPrefix, ObjectNotFoundError, type ObjectStore } from './contract.js';

// Object files carry a suffix so that "a/b" (a file) and "a/b/c" (inside directory "a/b") can both
// exist, as they can in S3. "%" in key segments is escaped, so no directory name and no temp file
// name can ever end with the suffix.
const OBJECT_SUFFIX = '%obj';
const TEMP_PREFIX = '%tmp-';

const escapeSegment = (segment: string): string => segment.replaceAll('%', '%25');
const unescapeSegment = (name: string): string => name.replaceAll('%25', '%');

/**
 * Objects as files under a root directory, for the embedded single-machine setup. Content types
 * are not kept: the contract never returns them; they only help HTTP clients of a real bucket.
 */
export class FolderObjectStore implements ObjectStore {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `folder ${this.root}`;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const file = this.fileFor(key);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true });
    // Written beside the target and renamed over it, so readers and crashes see the old or the new
    // object, never half of one.
    const temp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(body);
        // Without the flush a power loss soon after the rename can leave an empty object behind.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.fileFor(key);
    try {
      const data = await readFile(file);
      // A plain Uint8Array, like the S3 store returns, so callers cannot come to rely on Buffer.
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    // Only the prefix's complete segments name a directory; a partial last segment ("a/b" also
    // matching "a/bc") is matched against the names found below it.
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const dir = path.join(this.root, ...base.split('/').filter(Boolean).map(escapeSegment));
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.endsWith(OBJECT_SUFFIX))
      .map((entry) => base + entry.slice(0, -OBJECT_SUFFIX.length).split(path.sep).map(unescapeSegment).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.fileFor(key), { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK);
  }

  private fileFor(key: string): string {
    assertValidKey(key);
    // Validated keys have no "", "." or ".." segments, so the joined path stays under the root.
    return path.join(this.root, ...key.split('/').map(escapeSegment)) + OBJECT_SUFFIX;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
