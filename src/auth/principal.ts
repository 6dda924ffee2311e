/** People's roles, weakest first: each may do everything the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route asks of its caller: nothing (`public`), an instance's agent token (`agent`), or
 * a person's (or a machine's) key or OIDC token with at least this role.
 */
export type RouteRole = 'public' | 'agent' | Role;

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

export interface Principal {
  kind: 'key' | 'oidc' | 'agent';
  /** The key's id, `oidc:<sub>`, or the agent's instance id. */
  id: string;
  /** Absent for agents, and for an OIDC identity whose token carries no Prescale role. */
  role?: Role;
  /** Resource sets the principal is confined to; absent means all of them. */
  scopes?: readonly string[];
}

export function roleAtLeast(role: Role | undefined, required: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(required);
}
