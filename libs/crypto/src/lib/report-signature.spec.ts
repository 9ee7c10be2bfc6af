import { generateSigningKeyPair } from './job-token';
import { canonicalJson, checkReportSignature, signReport } from './report-signature';

const report = { attemptId: 'a1', workerId: 'w1', taskId: 't1', outputs: [{ key: 'k', sha256: 'ab', sizeBytes: 3 }], cleanup: { tempDirGone: true } };

describe('report signatures', () => {
  it('orders keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it('accepts a report as signed, whatever the key order', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const signed = await signReport(report, fleet.privateJwk);
    const reordered = JSON.parse(JSON.stringify({ signature: signed.signature, cleanup: signed.cleanup, outputs: signed.outputs, taskId: 't1', workerId: 'w1', attemptId: 'a1' }));
    expect(await checkReportSignature(reordered, [fleet.publicJwk])).toBe('valid');
  });

  it('refuses an edited, moved, unsigned or foreign-signed report', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const other = await generateSigningKeyPair('other');
    const signed = await signReport(report, fleet.privateJwk);
    const edited = (r: object) => r as typeof signed;
    expect(await checkReportSignature(edited({ ...signed, outputs: [{ ...report.outputs[0], sizeBytes: 4 }] }), [fleet.publicJwk])).toBe('invalid');
    expect(await checkReportSignature(edited({ ...signed, cleanup: { tempDirGone: false } }), [fleet.publicJwk])).toBe('invalid');
    expect(await checkReportSignature({ ...signed, attemptId: 'a2' }, [fleet.publicJwk])).toBe('invalid');
    expect(await checkReportSignature(report, [fleet.publicJwk])).toBe('unsigned');
    expect(await checkReportSignature(await signReport(report, other.privateJwk), [fleet.publicJwk])).toBe('invalid');
  });
});
