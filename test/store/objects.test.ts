import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import {
  createObjectStore,
  InvalidObjectKeyError,
  ObjectNotFoundError,
  type ObjectStore,
} from '../../src/store/objects/index.js';
import { S3ObjectStore } from '../../src/store/objects/s3.js';
import { type S3Server, startS3Server } from '../support/s3-server.js';

const runId = randomBytes(4).toString('hex');
let bucketCount = 0;
const freshBucket = (): string => `prescale-test-${runId}-${++bucketCount}`;

let tempRoot: string;
let s3Endpoint: string;
let ownS3Server: S3Server | undefined;

before(async () => {
  tempRoot = await mkdtemp(path.join(os.tmpdir(), 'prescale-objects-'));
  const external = process.env.TEST_S3_ENDPOINT;
  // s3rver accepts only the account S3RVER/S3RVER; an external endpoint may come with its own.
  if (!external || !process.env.AWS_ACCESS_KEY_ID) {
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    delete process.env.AWS_SESSION_TOKEN;
  }
  if (external) {
    s3Endpoint = external;
    return;
  }
  ownS3Server = await startS3Server();
  s3Endpoint = ownS3Server.endpoint;
});

after(async () => {
  await ownS3Server?.stop();
  await rm(tempRoot, { recursive: true, force: true });
});

async function openS3(bucket = freshBucket()): Promise<S3ObjectStore> {
  const store = new S3ObjectStore({ endpoint: s3Endpoint, bucket, region: 'us-east-1', forcePathStyle: true });
  await store.init();
  return store;
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Puts each key with itself as the body, 16 at a time. */
async function putAll(store: ObjectStore, keys: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await store.put(key, key);
      }
    }),
  );
}

/** The behaviour both implementations promise; each case gets a fresh, empty store. */
const contract: Record<string, (store: ObjectStore) => Promise<void>> = {
  'round-trips binary bytes, zero bytes included, as a plain Uint8Array': async (store) => {
    const body = new Uint8Array([0, 1, 0, 255, 0, 0, 128]);
    await store.put('models/m1.bin', body, { contentType: 'application/octet-stream' });
    const got = await store.get('models/m1.bin');
    assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
    assert.deepEqual(got, body);
  },
  'round-trips strings as UTF-8': async (store) => {
    await store.put('templates/web.yaml', 'replicas: 3 # größer ✓', { contentType: 'application/yaml' });
    assert.equal(text(await store.get('templates/web.yaml')), 'replicas: 3 # größer ✓');
  },
  'round-trips an empty object': async (store) => {
    await store.put('empty', '');
    assert.equal((await store.get('empty')).byteLength, 0);
  },
  'round-trips a 5 MB object': async (store) => {
    const body = randomBytes(5 * 1024 * 1024);
    await store.put('big/artifact', body);
    assert.ok(Buffer.from(await store.get('big/artifact')).equals(body));
  },
  'handles unicode key segments': async (store) => {
    const keys = ['modèles/日本語/😀.json', 'modèles/ascii'];
    for (const key of keys) await store.put(key, key);
    for (const key of keys) assert.equal(text(await store.get(key)), key);
    assert.deepEqual(await store.list('modèles/日'), ['modèles/日本語/😀.json']);
  },
  'keeps keys with percent signs and look-alike suffixes apart': async (store) => {
    const keys = ['p/100%', 'p/100%25', 'p/x', 'p/x%obj', 'p/x%obj/y', 'p/x/y', 'p/%tmp-1'];
    await putAll(store, keys);
    for (const key of keys) assert.equal(text(await store.get(key)), key);
    assert.deepEqual(await store.list('p/'), [...keys].sort());
  },
  'overwrite replaces the whole object': async (store) => {
    await store.put('k', 'a much longer first version');
    await store.put('k', 'short');
    assert.equal(text(await store.get('k')), 'short');
  },
  'get of a missing key throws ObjectNotFoundError with the key': async (store) => {
    await assert.rejects(store.get('no/such/key'), (error: unknown) => {
      assert.ok(error instanceof ObjectNotFoundError);
      assert.equal(error.key, 'no/such/key');
      return true;
    });
  },
  'lists by prefix, matching partial segments, sorted': async (store) => {
    const keys = ['a/bc/d', 'a/b', 'a/b/c', 'ab', 'a/bc', 'b/x', 'a/b/c/d/e'];
    await putAll(store, keys);
    assert.deepEqual(await store.list(''), [...keys].sort());
    assert.deepEqual(await store.list('a/b'), ['a/b', 'a/b/c', 'a/b/c/d/e', 'a/bc', 'a/bc/d']);
    assert.deepEqual(await store.list('a/b/'), ['a/b/c', 'a/b/c/d/e']);
    assert.deepEqual(await store.list('a/bc/'), ['a/bc/d']);
    assert.deepEqual(await store.list('a'), ['a/b', 'a/b/c', 'a/b/c/d/e', 'a/bc', 'a/bc/d', 'ab']);
    assert.deepEqual(await store.list('zz'), []);
    assert.deepEqual(await store.list('zz/'), []);
  },
  'lists more than one page of keys': async (store) => {
    const keys = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    await putAll(store, keys);
    assert.deepEqual(await store.list('many/'), keys);
  },
  'delete removes the object': async (store) => {
    await store.put('gone/soon', 'x');
    await store.delete('gone/soon');
    await assert.rejects(store.get('gone/soon'), ObjectNotFoundError);
    assert.deepEqual(await store.list(''), []);
  },
  'delete of a missing key is a no-op': async (store) => {
    await store.delete('never/there');
  },
  'rejects invalid keys and prefixes with InvalidObjectKeyError': async (store) => {
    const invalid = [
      '',
      '/a',
      'a/',
      'a//b',
      '.',
      'a/./b',
      'a/../b',
      '..',
      'a\\b',
      'a\u0000b',
      'a\nb',
      '\uD800',
      'x'.repeat(1025),
      'é'.repeat(513),
    ];
    for (const key of invalid) {
      await assert.rejects(store.put(key, 'x'), InvalidObjectKeyError, JSON.stringify(key));
      await assert.rejects(store.get(key), InvalidObjectKeyError, JSON.stringify(key));
      await assert.rejects(store.delete(key), InvalidObjectKeyError, JSON.stringify(key));
    }
    for (const prefix of ['/', '/a', 'a//', 'a//b', '../', 'a\\b', 'a\u0000']) {
      await assert.rejects(store.list(prefix), InvalidObjectKeyError, JSON.stringify(prefix));
    }
    // Short segments: filesystems (and so the folder store and s3rver) cap a single name at 255 bytes.
    const longest = `${'k'.repeat(120)}/`.repeat(8) + 'z'.repeat(56);
    assert.equal(Buffer.byteLength(longest), 1024);
    await store.put(longest, 'longest allowed');
    assert.deepEqual(await store.list('a/'), []);
  },
  'ping succeeds': async (store) => {
    await store.ping();
  },
};

const implementations: Record<string, () => Promise<ObjectStore>> = {
  folder: async () => new FolderObjectStore(await mkdtemp(path.join(tempRoot, 'folder-'))),
  s3: () => openS3(),
};

for (const [implementation, open] of Object.entries(implementations)) {
  void describe(`ObjectStore contract: ${implementation}`, () => {
    for (const [name, run] of Object.entries(contract)) void it(name, async () => run(await open()));
  });
}

void describe('FolderObjectStore', () => {
  void it('creates its root on demand and leaves no temp files behind', async () => {
    const root = path.join(tempRoot, 'on-demand', 'objects');
    const store = new FolderObjectStore(root);
    assert.deepEqual(await store.list(''), []);
    await assert.rejects(store.get('a'), ObjectNotFoundError);
    await assert.rejects(access(root));
    await putAll(
      store,
      Array.from({ length: 50 }, () => 'same/key'),
    );
    assert.deepEqual(await readdir(root, { recursive: true }), ['same', path.join('same', 'key%obj')]);
  });
});

void describe('S3ObjectStore', () => {
  const deadStore = async (): Promise<S3ObjectStore> => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return new S3ObjectStore({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'dead',
      region: 'us-east-1',
      forcePathStyle: true,
    });
  };

  void it('ping against a dead endpoint rejects within 5 s', async () => {
    const store = await deadStore();
    const started = Date.now();
    await assert.rejects(store.ping());
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });

  void it('rejects invalid keys before any I/O', async () => {
    const store = await deadStore();
    await assert.rejects(store.put('a//b', 'x'), InvalidObjectKeyError);
    await assert.rejects(store.list('/'), InvalidObjectKeyError);
  });

  void it('init keeps an existing bucket and its objects', async () => {
    const bucket = freshBucket();
    await (await openS3(bucket)).put('k', 'v');
    assert.equal(text(await (await openS3(bucket)).get('k')), 'v');
  });
});

void describe('createObjectStore', () => {
  const base = { S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true };

  void it('uses a folder under the data directory without S3 settings', async () => {
    const dataDir = await mkdtemp(path.join(tempRoot, 'data-'));
    const store = await createObjectStore({ ...base, dataDir });
    assert.equal(store.description, `folder ${path.join(dataDir, 'objects')}`);
    await store.put('a/b', 'x');
    await access(path.join(dataDir, 'objects', 'a'));
  });

  void it('uses S3, creating the bucket, when endpoint and bucket are set', async () => {
    const bucket = freshBucket();
    const store = await createObjectStore({ ...base, dataDir: tempRoot, S3_ENDPOINT: s3Endpoint, S3_BUCKET: bucket });
    assert.equal(store.description, `s3://${bucket} at ${s3Endpoint}`);
    await store.put('a/b', 'x');
    assert.deepEqual(await store.list(''), ['a/b']);
  });
});
