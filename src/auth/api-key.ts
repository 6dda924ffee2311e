import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys read `psk_<id>_<secret>`: the id (16 hex digits) is public, finds the row and names
 * the key in lists and the audit log; the secret (32 random bytes) is shown once and stored only
 * as HMAC-SHA256 under a per-key salt. A slow hash (scrypt) would buy nothing: it protects
 * guessable passwords, and 256 random bits are not guessable — while every request pays for it.
 */
const KEY_PATTERN = /^psk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export const apiKeyIdPattern = /^[0-9a-f]{16}$/;

export interface NewApiKey {
  id: string;
  /** The whole key, for the caller to keep; never stored. */
  key: string;
  salt: Buffer;
  hash: Buffer;
}

export function hashSecret(salt: Buffer, secret: string): Buffer {
  return createHmac('sha256', salt).update(secret).digest();
}

export function generateApiKey(): NewApiKey {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  return { id, key: `psk_${id}_${secret}`, salt, hash: hashSecret(salt, secret) };
}

export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export const looksLikeApiKey = (token: string): boolean => token.startsWith('psk_');

export function secretMatches(stored: { salt: Buffer; hash: Buffer }, secret: string): boolean {
  const given = hashSecret(stored.salt, secret);
  return given.length === stored.hash.length && timingSafeEqual(given, stored.hash);
}
