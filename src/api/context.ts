import type { Client, Connection } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Db } from '../store/db.js';
import type { ObjectStore } from '../store/objects/index.js';
import type { Logger } from '../logger.js';
import type { ApiSecurity } from './auth-config.js';

/** Everything the API's handlers may touch; wired once by the composition root. */
export interface ApiContext {
  db: Db;
  temporal: { connection: Connection; client: Client; namespace: string; taskQueue: string; uiUrl?: string };
  objects: ObjectStore;
  logger: Logger;
  metrics: Registry;
  /** Verifies agents' per-instance tokens on metric ingest. */
  agentSecret: string;
  /** OIDC, rate limits, CORS, /metrics exposure; what is left out takes its safe default. */
  security?: Partial<ApiSecurity>;
}
