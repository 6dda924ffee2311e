import { LOCAL_TYPE_PREFIX, type TemplateBody } from '../config/template.js';
import { usEast1OnDemandPrices } from './aws/on-demand-prices.js';
import { LOCAL_INSTANCE_TYPES } from './local/instance-types.js';

/**
 * The instance types a resource set may name, per provider: the local cloud's, and on AWS those
 * the provider offers by default (the ones it has a price for: the planner's cost arithmetic and
 * the right-sizer need one) plus 'default', whatever the group's launch template says.
 */
export const INSTANCE_TYPE_NAMES: Readonly<Record<'local' | 'aws', readonly string[]>> = {
  local: LOCAL_INSTANCE_TYPES.map((t) => t.name),
  aws: ['default', ...Object.keys(usEast1OnDemandPrices)],
};

/** Why `name` is no instance type of the provider, or null when it is one. */
export function unknownInstanceType(provider: 'local' | 'aws', name: string): string | null {
  const known = INSTANCE_TYPE_NAMES[provider];
  return known.includes(name)
    ? null
    : `"${name}" is not an instance type of provider "${provider}" (known: ${known.join(', ')})`;
}

/** Why a template's instance type cannot run on a provider, or null when it can. */
export function providerMismatch(body: Pick<TemplateBody, 'instanceType'>, provider: 'local' | 'aws'): string | null {
  const local = body.instanceType.startsWith(LOCAL_TYPE_PREFIX);
  if (provider === 'local' && !local) return `instanceType: "${body.instanceType}" is not a local instance type`;
  if (provider === 'aws' && local) return `instanceType: "${body.instanceType}" exists only on the local cloud`;
  const unknown = unknownInstanceType(provider, body.instanceType);
  return unknown && `instanceType: ${unknown}`;
}
