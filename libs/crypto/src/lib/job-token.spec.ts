import { SignJWT } from 'jose';
import { generateSigningKeyPair, JOB_TOKEN_AUDIENCE, JobTokenError, lifetimeRefusal, signJobToken, verifyJobToken } from './job-token';

const claims = { workerId: 'w1', attemptId: 'a1', mediaId: 'm1', jobId: 'j1', taskId: 't1' };

describe('job tokens (EdDSA JWT)', () => {
  it('round-trips the claims with a fresh jti each time', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const a = await verifyJobToken(await signJobToken(claims, fleet.privateJwk, 60), [fleet.publicJwk], 300);
    const b = await verifyJobToken(await signJobToken(claims, fleet.privateJwk, 60), [fleet.publicJwk], 300);
    expect(a).toMatchObject(claims);
    expect(a.jti).not.toBe(b.jti);
    expect(a.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses a foreign signature, alg none, HS256, the wrong audience, expiry and an over-long TTL', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const other = await generateSigningKeyPair('fleet-1');
    await expect(verifyJobToken(await signJobToken(claims, other.privateJwk, 60), [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'bad_signature' });

    const body = Buffer.from(JSON.stringify({ iss: 'w1', sub: 'a1', aud: JOB_TOKEN_AUDIENCE, jti: 'x', iat: 1, exp: 9e9, media: 'm1', job: 'j1', task: 't1' })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${body}.`;
    await expect(verifyJobToken(none, [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'bad_signature' });
    const hs = await new SignJWT({ media: 'm1', job: 'j1', task: 't1' }).setProtectedHeader({ alg: 'HS256' }).setAudience(JOB_TOKEN_AUDIENCE).sign(new Uint8Array(32));
    await expect(verifyJobToken(hs, [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'bad_signature' });

    const key = await (await import('jose')).importJWK(fleet.privateJwk, 'EdDSA');
    const sign = (aud: string, iat: number, exp: number) =>
      new SignJWT({ media: 'm1', job: 'j1', task: 't1' }).setProtectedHeader({ alg: 'EdDSA', kid: 'fleet-1' }).setIssuer('w1').setSubject('a1').setJti('j').setAudience(aud).setIssuedAt(iat).setExpirationTime(exp).sign(key);
    const now = Math.floor(Date.now() / 1000);
    await expect(verifyJobToken(await sign('someone-else', now, now + 60), [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'wrong_audience' });
    await expect(verifyJobToken(await sign(JOB_TOKEN_AUDIENCE, now - 120, now - 60), [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'expired' });
    await expect(verifyJobToken(await sign(JOB_TOKEN_AUDIENCE, now, now + 3600), [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'ttl_too_long' });
    await expect(verifyJobToken('garbage', [fleet.publicJwk], 300)).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('refuses a token issued ten years ahead (exp - iat within the TTL), and one expiring too far from now', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const key = await (await import('jose')).importJWK(fleet.privateJwk, 'EdDSA');
    const sign = (iat: number, exp: number) =>
      new SignJWT({ media: 'm1', job: 'j1', task: 't1' }).setProtectedHeader({ alg: 'EdDSA', kid: 'fleet-1' }).setIssuer('w1').setSubject('a1').setJti('j').setAudience(JOB_TOKEN_AUDIENCE).setIssuedAt(iat).setExpirationTime(exp).sign(key);
    const now = Math.floor(Date.now() / 1000);
    const later = now + 10 * 365 * 86_400;
    const err = await verifyJobToken(await sign(later, later + 600), [fleet.publicJwk], 900, 30).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobTokenError);
    // The signature verified: the refusal may name the token's media.
    expect(err).toMatchObject({ reason: 'issued_in_future', signedMediaId: 'm1' });
    // Within the skew it passes (a signer's clock a little ahead).
    await expect(verifyJobToken(await sign(now + 20, now + 620), [fleet.publicJwk], 900, 30)).resolves.toMatchObject({ mediaId: 'm1' });
    await expect(verifyJobToken(await sign(now + 40, now + 640), [fleet.publicJwk], 900, 30)).rejects.toMatchObject({ reason: 'issued_in_future' });
  });

  it('names no media for a token whose signature does not verify', async () => {
    const fleet = await generateSigningKeyPair('fleet-1');
    const other = await generateSigningKeyPair('fleet-1');
    const err = await verifyJobToken(await signJobToken(claims, other.privateJwk, 60), [fleet.publicJwk], 300).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'bad_signature' });
    expect((err as JobTokenError).signedMediaId).toBeUndefined();
  });
});

describe('lifetimeRefusal', () => {
  const limits = { nowSec: 1_000_000, maxTtlSec: 600, skewSec: 30 };
  it.each([
    [{ iat: 1_000_000, exp: 1_000_600 }, undefined],
    [{ iat: 999_000, exp: 1_000_000 }, 'expired'],
    [{ iat: 1_000_031, exp: 1_000_631 }, 'issued_in_future'],
    [{ iat: 1_000_030, exp: 1_000_630 }, undefined],
    [{ iat: 1_000_000, exp: 1_000_601 }, 'ttl_too_long'],
    [{ iat: 1_000_000 + 10 * 365 * 86_400, exp: 1_000_600 + 10 * 365 * 86_400 }, 'issued_in_future'],
  ])('%j -> %s', (times, reason) => {
    expect(lifetimeRefusal(times, limits)?.reason).toBe(reason);
  });
});

