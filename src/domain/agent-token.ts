import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-instance agent tokens, `<instanceId>.<mac>`, derived from a secret the control plane and the
 * provider share: the control plane verifies one without storing it, a token is good for its own
 * instance only, and it says which instance it belongs to (so a valid token used for another
 * instance is told apart from a forged one: 403, not 401).
 */
export function agentToken(secret: string, instanceId: string): string {
  return `${instanceId}.${mac(secret, instanceId)}`;
}

function mac(secret: string, instanceId: string): string {
  return createHmac('sha256', secret).update(`agent:${instanceId}`).digest('base64url');
}

/** The instance a genuine token was issued to, or undefined for a forged or malformed one. */
export function agentTokenInstance(secret: string, token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const instanceId = token.slice(0, dot);
  const expected = Buffer.from(mac(secret, instanceId));
  const given = Buffer.from(token.slice(dot + 1));
  return given.length === expected.length && timingSafeEqual(given, expected) ? instanceId : undefined;
}
