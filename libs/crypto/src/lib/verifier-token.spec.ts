import { generateSigningKeyPair, signJobToken } from './job-token';
import { importJWK, SignJWT } from 'jose';
import { signVerifierToken, VERIFIER_TOKEN_AUDIENCE, verifyVerifierToken } from './verifier-token';

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

  it('refuses a token issued far in the future, whatever its exp - iat', async () => {
    const verifier = await generateSigningKeyPair('verifier-1');
    const key = await importJWK(verifier.privateJwk, 'EdDSA');
    const later = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
    const token = await new SignJWT({ media: 'm1', job: 'j1' }).setProtectedHeader({ alg: 'EdDSA', kid: 'verifier-1' }).setIssuer('verifier').setSubject('v').setAudience(VERIFIER_TOKEN_AUDIENCE).setIssuedAt(later).setExpirationTime(later + 60).sign(key);
    expect(await verifyVerifierToken(token, [verifier.publicJwk], 120)).toBeUndefined();
  });
});

