import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The secret agent tokens derive from: PRESCALE_AGENT_SECRET when set (production, shared by every
 * control-plane process), else one generated on first start and kept in the data dir.
 */
export async function loadAgentSecret(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'agent-secret');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim().length >= 16) return existing.trim();
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it first; then theirs is the one to use.
  await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  return (await readFile(file, 'utf8')).trim();
}
