import type { RequestHandler } from 'express';

/**
 * Headers for every response. The CSP suits a dashboard served from this origin with its own
 * script and style files: nothing inline, nothing from elsewhere, never framed.
 */
const HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // Browsers honour it only over HTTPS, i.e. behind a TLS-terminating proxy.
  'strict-transport-security': 'max-age=31536000',
  // API answers (a new key above all) must not linger in caches.
  'cache-control': 'no-store',
};

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(HEADERS);
  next();
};

/**
 * CORS for the configured origins only; with none configured the API sends no CORS headers and
 * browsers on other origins cannot read it. Credentials are bearer tokens, never cookies.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || !allowed.has(origin)) {
      next();
      return;
    }
    res.vary('origin');
    res.set({
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'x-request-id, retry-after, www-authenticate',
    });
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res
        .set({
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
          'access-control-allow-headers': 'authorization, content-type, x-request-id',
          'access-control-max-age': '600',
        })
        .status(204)
        .end();
      return;
    }
    next();
  };
}
