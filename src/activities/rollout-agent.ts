import { appConfigSchema, type AppConfig } from '../domain/app-config.js';

const TIMEOUT_MS = 5_000;

/** The agent answered PUT /config with an error; `status` null when it did not answer. */
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** The version the agent applied; null when it has none yet or cannot be reached. */
export async function appliedConfigVersion(agentUrl: string, token: string): Promise<number | null> {
  try {
    const response = await fetch(new URL('/config', agentUrl), {
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const parsed = appConfigSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.version : null;
  } catch {
    return null;
  }
}

/** PUT /config: idempotent by version on the agent's side. */
export async function putConfig(agentUrl: string, token: string, config: AppConfig): Promise<void> {
  let response: Response;
  try {
    response = await fetch(new URL('/config', agentUrl), {
      method: 'PUT',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(config),
    });
  } catch (err) {
    throw new AgentConfigError(
      `agent at ${agentUrl} did not answer PUT /config: ${(err as Error).message}`,
      null,
      null,
    );
  }
  const text = await response.text();
  if (response.ok) return;
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    // Not the agent's JSON: the status says enough.
  }
  throw new AgentConfigError(
    `agent at ${agentUrl}: PUT /config → ${response.status}: ${error?.message ?? text.slice(0, 200)}`,
    response.status,
    error?.code ?? null,
  );
}
