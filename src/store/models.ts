import { objectStoreIO } from './neural-artifacts.js';
import type { BacktestScores } from '../forecast/neural-backtest.js';
import { NeuralModel } from '../forecast/neural.js';
import { inTransaction, type Db, type DbClient } from './db.js';
import type { ObjectStore } from './objects/contract.js';

/** Model registry: trained versions per resource set, their backtests, and which one is promoted. */

export type ModelKind = 'neural';
export type ModelStatus = 'candidate' | 'promoted' | 'retired';

export interface ModelBacktest {
  tailSteps: number;
  horizonSteps: number;
  candidate: BacktestScores;
  naive: BacktestScores;
  /**
   * The version promoted when the candidate was trained, scored on the same tail; scores are null
   * when it could not forecast it (another step or horizon). Null when none was promoted.
   */
  incumbent: { version: number; scores: BacktestScores | null } | null;
}

export interface ModelVersion {
  resourceSetId: string;
  kind: ModelKind;
  version: number;
  trainingRunId: string;
  status: ModelStatus;
  /** The object key of the version's model.json; its weights sit beside it. */
  artifactKey: string;
  /** The candidate's scaled pinball loss on its backtest; lower is better. */
  score: number;
  backtest: ModelBacktest;
  decision: string | null;
  createdAt: string;
  promotedAt: string | null;
}

type Row = {
  resource_set_id: string;
  kind: ModelKind;
  version: number;
  training_run_id: string;
  status: ModelStatus;
  artifact_key: string;
  score: number;
  backtest: ModelBacktest;
  decision: string | null;
  created_at: Date;
  promoted_at: Date | null;
};

const COLUMNS =
  'resource_set_id, kind, version, training_run_id, status, artifact_key, score, backtest, decision, created_at, promoted_at';

const fromRow = (r: Row): ModelVersion => ({
  resourceSetId: r.resource_set_id,
  kind: r.kind,
  version: r.version,
  trainingRunId: r.training_run_id,
  status: r.status,
  artifactKey: r.artifact_key,
  score: r.score,
  backtest: r.backtest,
  decision: r.decision,
  createdAt: r.created_at.toISOString(),
  promotedAt: r.promoted_at?.toISOString() ?? null,
});

/**
 * Serialises registry writes per resource set. Transaction-scoped, so it also holds on PGlite,
 * which runs a transaction's statements exclusively.
 */
async function lockRegistry(tx: DbClient, resourceSetId: string, kind: ModelKind): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('prescale.models/' || $1 || '/' || $2))`, [
    resourceSetId,
    kind,
  ]);
}

/** The version a training run builds: the same one every time the run asks, the next free one the first time. */
export async function reserveModelVersion(
  db: Db,
  key: { resourceSetId: string; kind: ModelKind; trainingRunId: string },
): Promise<number> {
  return inTransaction(db, async (tx) => {
    await lockRegistry(tx, key.resourceSetId, key.kind);
    const { rows } = await tx.query<{ version: number }>(
      `INSERT INTO model_training_runs (resource_set_id, kind, training_run_id, version)
       SELECT $1, $2, $3, coalesce(max(version), 0) + 1 FROM model_training_runs WHERE resource_set_id = $1 AND kind = $2
       ON CONFLICT (resource_set_id, kind, training_run_id) DO NOTHING
       RETURNING version`,
      [key.resourceSetId, key.kind, key.trainingRunId],
    );
    if (rows[0]) return rows[0].version;
    const existing = await tx.query<{ version: number }>(
      'SELECT version FROM model_training_runs WHERE resource_set_id = $1 AND kind = $2 AND training_run_id = $3',
      [key.resourceSetId, key.kind, key.trainingRunId],
    );
    return existing.rows[0]!.version;
  });
}

/** Records a trained candidate; registering the same version again changes nothing and returns the stored row. */
export async function registerModelVersion(
  db: Db,
  entry: {
    resourceSetId: string;
    kind: ModelKind;
    version: number;
    trainingRunId: string;
    artifactKey: string;
    backtest: ModelBacktest;
  },
): Promise<ModelVersion> {
  await db.query(
    `INSERT INTO model_versions (resource_set_id, kind, version, training_run_id, artifact_key, score, backtest)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (resource_set_id, kind, version) DO NOTHING`,
    [
      entry.resourceSetId,
      entry.kind,
      entry.version,
      entry.trainingRunId,
      entry.artifactKey,
      entry.backtest.candidate.scaledPinball,
      JSON.stringify(entry.backtest),
    ],
  );
  return (await findModelVersion(db, entry.resourceSetId, entry.kind, entry.version))!;
}

export async function findModelVersion(
  db: Db | DbClient,
  resourceSetId: string,
  kind: ModelKind,
  version: number,
): Promise<ModelVersion | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM model_versions WHERE resource_set_id = $1 AND kind = $2 AND version = $3`,
    [resourceSetId, kind, version],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function modelVersionForRun(
  db: Db,
  resourceSetId: string,
  kind: ModelKind,
  trainingRunId: string,
): Promise<ModelVersion | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM model_versions WHERE resource_set_id = $1 AND kind = $2 AND training_run_id = $3`,
    [resourceSetId, kind, trainingRunId],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function promotedModelVersion(
  db: Db | DbClient,
  resourceSetId: string,
  kind: ModelKind,
): Promise<ModelVersion | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM model_versions WHERE resource_set_id = $1 AND kind = $2 AND status = 'promoted'`,
    [resourceSetId, kind],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Newest first. */
export async function listModelVersions(db: Db, resourceSetId: string, kind: ModelKind): Promise<ModelVersion[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM model_versions WHERE resource_set_id = $1 AND kind = $2 ORDER BY version DESC`,
    [resourceSetId, kind],
  );
  return rows.map(fromRow);
}

const v = (version: number | null): string => (version === null ? 'no model' : `v${version}`);
const fmt = (score: number): string => score.toPrecision(4);

/**
 * Whether a candidate should replace what is promoted now. Its backtest compared it with the
 * incumbent of that moment on one tail; if another version was promoted since, that comparison
 * no longer says anything, so the candidate stays out.
 */
function promotionDecision(candidate: ModelVersion, current: number | null): { promote: boolean; decision: string } {
  const { backtest, score } = candidate;
  const comparedWith = backtest.incumbent?.version ?? null;
  if (current !== comparedWith) {
    return {
      promote: false,
      decision: `not promoted: ${v(current)} is promoted now, the backtest compared with ${v(comparedWith)}`,
    };
  }
  const naive = backtest.naive.scaledPinball;
  if (!(score < naive))
    return {
      promote: false,
      decision: `not promoted: scaled pinball ${fmt(score)} does not beat seasonal naive's ${fmt(naive)}`,
    };
  const incumbent = backtest.incumbent?.scores?.scaledPinball;
  if (incumbent !== undefined && !(score < incumbent)) {
    return {
      promote: false,
      decision: `not promoted: scaled pinball ${fmt(score)} does not beat ${v(comparedWith)}'s ${fmt(incumbent)}`,
    };
  }
  return {
    promote: true,
    decision:
      `promoted: scaled pinball ${fmt(score)} beats seasonal naive's ${fmt(naive)}` +
      (incumbent !== undefined
        ? ` and ${v(comparedWith)}'s ${fmt(incumbent)}`
        : comparedWith !== null
          ? ` (${v(comparedWith)} cannot forecast this horizon)`
          : ''),
  };
}

/**
 * Promotes a candidate if its backtest beats the promoted version (and seasonal naive), retiring
 * the old one, in one transaction. Deciding is done once: asking again returns the first answer.
 */
export async function promoteIfBetter(
  db: Db,
  resourceSetId: string,
  kind: ModelKind,
  version: number,
): Promise<{ promoted: boolean; decision: string }> {
  return inTransaction(db, async (tx) => {
    await lockRegistry(tx, resourceSetId, kind);
    const candidate = await findModelVersion(tx, resourceSetId, kind, version);
    if (!candidate) throw new Error(`no ${kind} model v${version} for resource set ${resourceSetId}`);
    if (candidate.decision !== null) return { promoted: candidate.status === 'promoted', decision: candidate.decision };
    const current = await promotedModelVersion(tx, resourceSetId, kind);
    const { promote, decision } = promotionDecision(candidate, current?.version ?? null);
    if (promote && current) {
      await tx.query(
        `UPDATE model_versions SET status = 'retired' WHERE resource_set_id = $1 AND kind = $2 AND version = $3`,
        [resourceSetId, kind, current.version],
      );
    }
    await tx.query(
      `UPDATE model_versions SET decision = $4, status = CASE WHEN $5 THEN 'promoted' ELSE status END, promoted_at = CASE WHEN $5 THEN now() END
        WHERE resource_set_id = $1 AND kind = $2 AND version = $3`,
      [resourceSetId, kind, version, decision, promote],
    );
    return { promoted: promote, decision };
  });
}

// Loaded models by resource set, in the order they were loaded. Two versions are kept so that a caller still
// holding the previous one after a promotion can finish with it.
const loaded = new Map<string, { version: number; model: Promise<NeuralModel> }[]>();
const VERSIONS_KEPT = 2;

/** A neural model version from its artifacts, loaded once per process and version. */
export function loadNeuralVersion(
  objects: ObjectStore,
  resourceSetId: string,
  version: number,
  artifactKey: string,
): Promise<NeuralModel> {
  const versions = loaded.get(resourceSetId) ?? [];
  const hit = versions.find((e) => e.version === version);
  if (hit) return hit.model;
  const model = NeuralModel.load(objectStoreIO(objects, artifactKey.slice(0, artifactKey.lastIndexOf('/'))));
  const entry = { version, model };
  versions.push(entry);
  for (const old of versions.splice(0, Math.max(0, versions.length - VERSIONS_KEPT)))
    void old.model.then(
      (m) => m.dispose(),
      () => undefined,
    );
  loaded.set(resourceSetId, versions);
  // A failed load (storage down) is retried by the next caller rather than remembered.
  model.catch(() => {
    const current = loaded.get(resourceSetId);
    if (current)
      loaded.set(
        resourceSetId,
        current.filter((e) => e !== entry),
      );
  });
  return model;
}

/**
 * The promoted neural model of a resource set, or null when none is promoted. The registry is
 * asked every time (one indexed row); the artifacts are read only when the version changes.
 */
export async function loadPromotedNeural(
  objects: ObjectStore,
  db: Db,
  resourceSetId: string,
): Promise<{ version: number; model: NeuralModel } | null> {
  const promoted = await promotedModelVersion(db, resourceSetId, 'neural');
  if (!promoted) return null;
  return {
    version: promoted.version,
    model: await loadNeuralVersion(objects, resourceSetId, promoted.version, promoted.artifactKey),
  };
}
