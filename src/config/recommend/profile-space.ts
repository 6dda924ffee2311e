import type { AppProfile, ParameterSpec as ProfileParameter } from '../../domain/app-profile.js';
import type { ParameterSpec, SearchSpace } from './space.js';

/** Whether the tuner searches a profile parameter: the profile says, else a bounded number is searched. */
function tunable(p: ProfileParameter): boolean {
  if (p.type === 'integer' || p.type === 'number')
    return p.tunable ?? (p.minimum !== undefined && p.maximum !== undefined);
  return p.tunable === true;
}

function specOf(name: string, p: ProfileParameter, capacity: number | undefined): ParameterSpec | null {
  switch (p.type) {
    case 'integer':
    case 'number': {
      const min = p.minimum!;
      // A bound that grows with the instance (a cache in memory) caps the range there: beyond it, every trial fails.
      const perCapacity =
        p.maximumPerCapacity !== undefined && capacity !== undefined
          ? Math.floor(p.maximumPerCapacity * capacity)
          : Infinity;
      const max = Math.min(p.maximum!, perCapacity);
      return max > min ? { name, min, max, integer: p.type === 'integer', scale: p.scale ?? 'linear' } : null;
    }
    case 'boolean':
      return choice(name, [false, true]);
    case 'string':
      return choice(name, p.enum!);
  }
}

const choice = (name: string, values: readonly (string | boolean)[]): ParameterSpec | null =>
  values.length > 1 ? { name, min: 0, max: values.length - 1, integer: true, scale: 'linear', values } : null;

/**
 * The tuning search space of an app: every parameter its profile lets the tuner search, over its
 * range on an instance of this capacity (the instance type's speed, where the profile's bounds
 * grow with it). A range with a single value is left out: there is nothing to search.
 */
export function tuningSpaceOf(profile: AppProfile, capacity?: number): SearchSpace {
  return {
    parameters: Object.entries(profile.parameters).flatMap(([name, p]) => {
      const spec = tunable(p) ? specOf(name, p, capacity) : null;
      return spec ? [spec] : [];
    }),
  };
}
