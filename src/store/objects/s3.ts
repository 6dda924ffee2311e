import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { assertValidKey, assertValidPrefix, ObjectNotFoundError, type ObjectStore } from './contract.js';

export interface S3ObjectStoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
}

const PING_TIMEOUT_MS = 2_000;

/** Objects in one S3 bucket (AWS, MinIO, s3rver, ...); credentials come from the SDK's default chain. */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly region: string;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    this.description = `s3://${options.bucket} at ${options.endpoint}`;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // A dead or black-holed endpoint must fail in seconds, not hang a worker; the idle timeout
      // (not a total one) leaves large uploads on slow links alone.
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 2_000, socketTimeout: 10_000 },
      // The SDK's default CRC trailers (aws-chunked bodies) are not understood by most S3-compatible
      // servers; checksums are still sent where S3 requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Creates the bucket unless it exists; call once before use. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // AWS rejects an explicit us-east-1 and requires the constraint everywhere else.
          ...(this.region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } }),
        }),
      );
    } catch (error) {
      // Another replica starting at the same time may have won the race.
      if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
    }
  }

  async put(key: string, body: Uint8Array | string, options: { contentType?: string } = {}): Promise<void> {
    assertValidKey(key);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        // The SDK omits the header for empty bodies, and then warns as if the body were a stream.
        ContentLength: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
        ContentType: options.contentType,
      }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    assertValidKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await response.Body!.transformToByteArray();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'NoSuchKey' || (statusOf(error) === 404 && name !== 'NoSuchBucket'))
        throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix || undefined,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // S3 orders by UTF-8 bytes; sorting here gives the same order as the folder store.
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
      abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS),
    });
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}
