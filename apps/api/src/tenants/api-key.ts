import { createHash } from 'node:crypto';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** `TENANT_KEYS=tenantA:keyA,tenantB:keyB` -> tenant rows (keys are stored hashed). */
export function parseTenantKeys(spec: string): { id: string; apiKeyHash: string }[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(':');
      if (i <= 0 || i === entry.length - 1) throw new Error(`TENANT_KEYS entry "${entry.split(':')[0]}" must be tenantId:apiKey`);
      return { id: entry.slice(0, i), apiKeyHash: hashApiKey(entry.slice(i + 1)) };
    });
}
