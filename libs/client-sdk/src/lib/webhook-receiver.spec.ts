import { signWebhook } from '@airlock/crypto/node';
import { verifyWebhook } from './webhook-receiver';

describe('verifyWebhook', () => {
  const secret = 'whsec_receiver-test';
  const body = '{"id":"e1","type":"ready","seq":1}';

  it('reads the signature from fetch Headers and from Node request headers', () => {
    const signature = signWebhook(secret, body);
    expect(verifyWebhook(secret, new Headers({ 'Airlock-Signature': signature }), body).ok).toBe(true);
    expect(verifyWebhook(secret, { 'airlock-signature': signature, 'content-type': 'application/json' }, Buffer.from(body)).ok).toBe(true);
  });

  it('names why a delivery is refused', () => {
    expect(verifyWebhook(secret, {}, body)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhook(secret, { 'airlock-signature': [signWebhook(secret, body), signWebhook(secret, body)] }, body)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhook(secret, { 'airlock-signature': signWebhook(secret, body, new Date(Date.now() - 600_000)) }, body)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifyWebhook('whsec_wrong', { 'airlock-signature': signWebhook(secret, body) }, body)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
