import { PrismaClient } from '@airlock/db';

export interface ListedTenant {
  readonly id: string;
  readonly apiKeyHash: string;
}

/** What a disabled tenant's key hash becomes: no sha256 of any key, so its old key answers 401. */
export const disabledKeyHash = (tenantId: string) => `disabled:${tenantId}`;

/**
 * Make the tenants table what TENANT_KEYS says, at the api's boot: listed tenants get their key
 * and are enabled (again); every other enabled tenant is disabled, its key hash replaced so the
 * key stops working. Rows are never deleted: a removed tenant's media, events and webhooks stay.
 */
export async function reconcileTenants(db: PrismaClient, listed: readonly ListedTenant[], now = new Date()): Promise<{ disabled: string[] }> {
  return db.$transaction(async (tx) => {
    const gone = await tx.tenant.findMany({ where: { id: { notIn: listed.map((t) => t.id) }, disabledAt: null }, select: { id: true }, orderBy: { id: 'asc' } });
    // Disable first: a listed tenant may take over a key a removed one held.
    for (const { id } of gone) await tx.tenant.update({ where: { id }, data: { disabledAt: now, apiKeyHash: disabledKeyHash(id) } });
    for (const t of listed) {
      await tx.tenant.upsert({ where: { id: t.id }, create: { id: t.id, name: t.id, apiKeyHash: t.apiKeyHash }, update: { apiKeyHash: t.apiKeyHash, disabledAt: null } });
    }
    return { disabled: gone.map((t) => t.id) };
  });
}
