import { roleAtLeast, type Principal, type RouteRole } from './principal.js';

export interface Guarded {
  role: RouteRole;
  /** The path parameter naming the resource set the route acts on; scoped principals are checked against it. */
  resourceSetParam?: string;
}

export type Verdict = { allow: true } | { allow: false; status: 401 | 403 | 404; code: string; message: string };

/**
 * Who may call a route. A principal scoped to some resource sets gets 404 for any other set, the
 * same answer as for a set that does not exist, so a scoped key cannot learn which sets exist;
 * routes that are not about one set (lists, creation, keys, audit) are 403 for scoped principals.
 */
export function authorize(
  route: Guarded,
  principal: Principal | undefined,
  params: Readonly<Record<string, unknown>>,
): Verdict {
  if (route.role === 'public') return { allow: true };
  if (!principal)
    return {
      allow: false,
      status: 401,
      code: 'unauthorized',
      message: 'a bearer token is required (Authorization: Bearer <key>)',
    };
  if (route.role === 'agent') {
    return principal.kind === 'agent'
      ? { allow: true }
      : { allow: false, status: 403, code: 'forbidden', message: "only an instance's agent token may call this route" };
  }
  if (principal.kind === 'agent')
    return { allow: false, status: 403, code: 'forbidden', message: 'an agent token may only push metrics' };
  if (!roleAtLeast(principal.role, route.role)) {
    return {
      allow: false,
      status: 403,
      code: 'forbidden',
      message: `requires the role ${route.role} (this principal has ${principal.role ?? 'no role'})`,
    };
  }
  if (!principal.scopes) return { allow: true };
  if (!route.resourceSetParam) {
    return {
      allow: false,
      status: 403,
      code: 'forbidden',
      message: 'a key scoped to resource sets may only call routes of one of those sets',
    };
  }
  const id = params[route.resourceSetParam];
  if (typeof id !== 'string' || !principal.scopes.includes(id)) {
    return { allow: false, status: 404, code: 'not_found', message: `resource set "${String(id)}" does not exist` };
  }
  return { allow: true };
}
