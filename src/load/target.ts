import { isIP } from 'node:net';

/** Load goes to this machine only: a replay can send a million requests, never at someone else. */
export function loopbackTarget(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`target "${text}" is not a URL (expected e.g. http://127.0.0.1:8080/path)`);
  }
  if (url.protocol !== 'http:') throw new RangeError(`target "${text}" must be an http:// URL`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback)
    throw new RangeError(
      `target host "${url.hostname}" is not loopback: load is only sent to localhost, 127.0.0.0/8 or ::1`,
    );
  return url;
}
