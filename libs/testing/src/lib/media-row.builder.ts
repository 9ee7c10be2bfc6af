import { randomUUID } from 'node:crypto';
import type { MediaState } from '@airlock/domain';
import type { Prisma } from '@airlock/db';

/**
 * A media row as the api would have created it (wrapped keys are placeholders: specs that need
 * real ones wrap their own). One builder instead of a literal per spec.
 */
export function mediaRow(tenantId: string, state: MediaState, overrides: Partial<Prisma.MediaUncheckedCreateInput> = {}): Prisma.MediaUncheckedCreateInput {
  const id = overrides.id ?? randomUUID();
  const sha256 = overrides.sourceSha256 ?? 'a'.repeat(64);
  return {
    id,
    tenantId,
    state,
    profiles: ['240p'],
    sourceKey: `src/${id}/${sha256}`,
    sourceSha256: sha256,
    sourceSizeBytes: 10_000_000n,
    sizeClass: 's',
    contentKeyJwe: 'test.content.key.jwe.placeholder',
    outputKeyJwe: 'test.output.key.jwe.placeholder',
    outputKeyId: '0'.repeat(32),
    ...overrides,
  };
}
