/**
 * Which tenant's rows a query may see. Functions that read tenant data take a
 * scope that must be given: a tenant id, or `ALL_TENANTS` — an explicit choice
 * for operator views and system work, never the result of leaving it out.
 */
export const ALL_TENANTS: unique symbol = Symbol('all tenants');

export type TenantScope = string | typeof ALL_TENANTS;

/** The SQL parameter for `($n::text IS NULL OR tenant_id = $n)`. */
export function tenantParam(scope: TenantScope): string | null {
  if (scope === ALL_TENANTS) return null;
  if (typeof scope !== 'string' || scope === '')
    throw new Error('a tenant scope is a tenant id or ALL_TENANTS');
  return scope;
}
