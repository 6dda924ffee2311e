/** Blob storage for template bodies and model artifacts: a local folder or an S3 bucket, same behaviour. */
export interface ObjectStore {
  /** Where the objects live, for logs and the CLI: "s3://bucket at http://host:9000" or "folder /path". */
  readonly description: string;
  put(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<void>;
  /** Throws ObjectNotFoundError when the key does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Every key starting with prefix ("" lists all), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Cheap reachability check for readiness probes; throws when the storage cannot be reached. */
  ping(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

export class InvalidObjectKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidObjectKeyError';
  }
}

// S3's own limit; holding the folder store to it keeps the two interchangeable.
const MAX_KEY_BYTES = 1024;
// Lone surrogates (Cs) have no UTF-8 form, so S3 would silently store a different key.
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Cs}\\]/u;

/**
 * Keys are "/"-separated paths that map safely onto a folder: no empty, "." or ".." segments,
 * so a key can never climb out of the store's root.
 */
export function assertValidKey(key: string): void {
  const reason = invalidKeyReason(key);
  if (reason) throw new InvalidObjectKeyError(key, reason);
}

/** A prefix is "" or a key, optionally with a trailing "/". */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const reason = invalidKeyReason(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (reason) throw new InvalidObjectKeyError(prefix, reason);
}

function invalidKeyReason(key: string): string | undefined {
  if (key === '') return 'must not be empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes`;
  if (FORBIDDEN_CHARACTER.test(key)) return 'must not contain backslashes, control characters or lone surrogates';
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'segments must not be empty, "." or ".." (and no leading or trailing "/")';
  }
  return undefined;
}
