import { generateKeyPairSync } from 'node:crypto';
import { createMediaSchema, JobName, parsePayload } from '../index';

describe('contracts', () => {
  it('validates job payloads by name and refuses unknown shapes', () => {
    const ids = { mediaId: '00000000-0000-4000-8000-000000000001', jobId: '00000000-0000-4000-8000-000000000002' };
    expect(parsePayload(JobName.MediaPlan, ids)).toEqual(ids);
    expect(() => parsePayload(JobName.MediaProbe, { ...ids, taskId: 'not-a-uuid', sourceKey: 'k', keyTtlSec: 600 })).toThrow();
    expect(() => parsePayload(JobName.MediaProbe, { ...ids, taskId: ids.jobId, sourceKey: 'k' })).toThrow(/keyTtlSec/);
  });

  it('accepts only encrypted sources and public recipient keys', () => {
    const jwe = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyJ9.a.b.c.d';
    const body = {
      recipients: [{ id: 'r1', publicJwk: { kty: 'OKP', crv: 'X25519', x: generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string } }],
      source: { sizeBytes: 10, sha256: 'a'.repeat(64), contentKeyJwe: jwe },
    };
    expect(createMediaSchema.parse(body).recipients).toHaveLength(1);
    expect(() => createMediaSchema.parse({ ...body, source: { sizeBytes: 10, sha256: 'a'.repeat(64) } })).toThrow();
    const leaked = { ...body, recipients: [{ id: 'r1', publicJwk: { ...body.recipients[0].publicJwk, d: 'private!' } }] };
    expect(() => createMediaSchema.parse(leaked)).toThrow();
    expect(() => createMediaSchema.parse({ ...body, recipients: [] })).toThrow();
  });
});
