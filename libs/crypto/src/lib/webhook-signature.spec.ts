import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = JSON.stringify({ id: 'e1', type: 'ready', seq: 3 });
  const at = new Date('2026-01-01T00:00:00Z');
  const header = signWebhook(secret, body, at);

  it('signs "<t>.<body>" with HMAC-SHA256 in the documented header format', () => {
    const t = at.getTime() / 1000;
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(signWebhook(secret, Buffer.from(body), at)).toBe(header);
  });

  it('accepts the delivery within the tolerance window', () => {
    expect(verifyWebhookSignature(secret, header, body, { now: at })).toEqual({ ok: true, timestamp: at.getTime() / 1000 });
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), { now: new Date(at.getTime() + 299_000) }).ok).toBe(true);
  });

  it('refuses a tampered body and the wrong secret', () => {
    expect(verifyWebhookSignature(secret, header, body.replace('ready', 'failed'), { now: at })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhookSignature('whsec_other', header, body, { now: at })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a stale or future timestamp, even with a valid signature', () => {
    expect(verifyWebhookSignature(secret, header, body, { now: new Date(at.getTime() + 301_000) })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifyWebhookSignature(secret, header, body, { now: new Date(at.getTime() - 301_000) })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifyWebhookSignature(secret, header, body, { now: new Date(at.getTime() + 3_600_000), toleranceSec: 7200 }).ok).toBe(true);
  });

  it('refuses malformed headers', () => {
    const v1 = header.split(',')[1];
    for (const bad of [undefined, '', 'garbage', `t=abc,${v1}`, v1, 't=1767225600', 't=1767225600,v1=xyz', `t=1,t=2,${v1}`, `t=1767225600,${v1}=x`]) {
      expect(verifyWebhookSignature(secret, bad, body, { now: at })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('accepts any one matching v1 (secret rotation) and ignores unknown schemes', () => {
    const old = signWebhook('whsec_old', body, at).split(',')[1];
    expect(verifyWebhookSignature(secret, `${header},${old},v0=legacy`, body, { now: at }).ok).toBe(true);
  });
});
