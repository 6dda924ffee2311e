// Pure and deterministic: the resource-set workflow checks If-Match with it, the API sends it as the ETag.
import { canonicalJson } from './canonical-json.js';

/** 32-bit FNV-1a from a given offset basis. */
function fnv1a(text: string, basis: number): string {
  let hash = basis;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * The strong entity tag of a spec, quoted as an ETag header is. Not a cryptographic hash: it only
 * tells versions of one set's spec apart, and no Node crypto may run in workflow code. Canonical,
 * so the spec the loop holds and the one read back from jsonb tag the same.
 */
export function specTag(spec: unknown): string {
  const text = canonicalJson(spec);
  return `"${fnv1a(text, 0x811c9dc5)}${fnv1a(text, 0x050c5d1f)}"`;
}

/** RFC 9110 If-Match: `*`, or a list of entity tags compared strongly (a weak tag never matches). */
export function ifMatches(header: string, tag: string): boolean {
  if (header.trim() === '*') return true;
  return header
    .split(',')
    .map((t) => t.trim())
    .includes(tag);
}
