import { generateSigningKeyPair, signJobToken } from './job-token';
import { signVerifierToken, verifyVerifierToken } from './verifier-token';

const claims = { mediaId: 'm1', jobId: 'j1', verifyJob: 'verify__j1' };

describe('verifier tokens', () => {
  it('round-trips the claims under the verifier key', async () => {
    const verifier = await generateSigningKeyPair('verifier-1');
    const verified = await verifyVerifierToken(await signVerifierToken(claims, verifier.privateJwk, 60), [verifier.publicJwk], 120);
    expect(verified).toEqual(expect.objectContaining(claims));
  });

  it('refuses a token of another key, a worker job token, and one that lives too long', async () => {
    const verifier = await generateSigningKeyPair('verifier-1');
    const fleet = await generateSigningKeyPair('fleet-1');
    expect(await verifyVerifierToken(await signVerifierToken(claims, fleet.privateJwk, 60), [verifier.publicJwk], 120)).toBeUndefined();
    const jobToken = await signJobToken({ workerId: 'w', attemptId: 'a', mediaId: 'm1', jobId: 'j1', taskId: 't' }, verifier.privateJwk, 60);
    expect(await verifyVerifierToken(jobToken, [verifier.publicJwk], 120)).toBeUndefined();
    expect(await verifyVerifierToken(await signVerifierToken(claims, verifier.privateJwk, 600), [verifier.publicJwk], 120)).toBeUndefined();
  });
});
