// Minimal HTTP plumbing for the instance-side processes (the agent and the sample service): both
// are one per instance, so they use node:http directly rather than a framework, to stay small.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpError } from '../infra/http-error.js';
import type { Logger } from '../logger.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The API's error body shape, so clients read agent and app errors the same way. */
export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, {
    error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
  });
}

/** Reads a JSON body; a body that is too large or not JSON is the client's mistake (413 / 400). */
export async function readJson(req: IncomingMessage, limitBytes = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new HttpError(413, 'body_too_large', `body: larger than ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `body: not valid JSON (${(err as Error).message})`);
  }
}

/** A server whose handler may throw: HttpErrors become their response, anything else a logged 500. */
export function createJsonServer(handler: Handler, logger: Logger): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        const httpError = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
        if (httpError.status >= 500) logger.error({ err, method: req.method, path: url.pathname }, 'request failed');
        if (!res.headersSent) sendError(res, httpError);
        else res.destroy();
      });
  });
}

export function methodNotAllowed(req: IncomingMessage, url: URL): HttpError {
  return new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`);
}

export function routeNotFound(req: IncomingMessage, url: URL): HttpError {
  return new HttpError(404, 'not_found', `no route for ${req.method} ${url.pathname}`);
}

export async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
