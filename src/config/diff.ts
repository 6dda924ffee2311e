import type { TemplateBody } from './template.js';

export interface FieldChange {
  /** Dotted path, e.g. params.workers. */
  path: string;
  from: unknown;
  to: unknown;
}

export interface TemplateDiff {
  changes: FieldChange[];
  /** An instance type or software change: a rollout replaces instances instead of reconfiguring them. */
  replacesInstances: boolean;
}

function leaves(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Field-by-field changes from one JSON document to another, in path order (a missing field is null). */
export function fieldChanges(from: unknown, to: unknown): FieldChange[] {
  const a = leaves(from, '', new Map());
  const b = leaves(to, '', new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((path) => ({ path, from: a.get(path) ?? null, to: b.get(path) ?? null }));
}

/** Field-by-field changes from one body to another, in path order. */
export function diffTemplates(from: TemplateBody, to: TemplateBody): TemplateDiff {
  const changes = fieldChanges(from, to);
  return { changes, replacesInstances: changes.some((c) => c.path === 'instanceType' || c.path === 'softwareVersion') };
}
