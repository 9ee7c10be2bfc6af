import { webhookDeliveryErrorOf, webhookUrlRefusal, WebhookTargetPolicy } from './webhook-target';

const strict: WebhookTargetPolicy = { allowPrivate: false, requireHttps: false };

describe('webhookUrlRefusal', () => {
  it.each([
    'http://127.0.0.1:3001/hooks',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::1]:3000/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://10.0.0.5/',
    'http://192.168.0.10:8080/',
    'http://172.20.0.3/',
    'http://100.64.1.1/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://224.0.0.1/',
    'http://0.0.0.0:3000/',
    'http://[::]/',
  ])('refuses %s', (url) => {
    expect(webhookUrlRefusal(url, strict)).toMatchObject({ reason: 'forbidden_address' });
  });

  it.each(['http://localhost:3000/', 'http://LOCALHOST./', 'http://api.localhost/', 'http://redis:6379/', 'http://printer.local/', 'http://metadata.google.internal/', 'http://router.home.arpa/'])(
    'refuses the local name %s',
    (url) => {
      expect(webhookUrlRefusal(url, strict)).toEqual({ reason: 'local_name' });
    },
  );

  it('names the address kind', () => {
    expect(webhookUrlRefusal('http://169.254.169.254/', strict)).toEqual({ reason: 'forbidden_address', kind: 'metadata' });
    expect(webhookUrlRefusal('http://[::ffff:127.0.0.1]/', strict)).toEqual({ reason: 'forbidden_address', kind: 'loopback' });
  });

  it('refuses other schemes, credentials in the URL, and garbage', () => {
    expect(webhookUrlRefusal('ftp://chat.example/', strict)).toEqual({ reason: 'scheme' });
    expect(webhookUrlRefusal('file:///etc/passwd', strict)).toEqual({ reason: 'scheme' });
    expect(webhookUrlRefusal('gopher://chat.example/', strict)).toEqual({ reason: 'scheme' });
    expect(webhookUrlRefusal('https://user:pw@chat.example/', strict)).toEqual({ reason: 'userinfo' });
    expect(webhookUrlRefusal('https://user@chat.example/', strict)).toEqual({ reason: 'userinfo' });
    expect(webhookUrlRefusal('not a url', strict)).toEqual({ reason: 'invalid_url' });
  });

  it('accepts public targets, and plain http only where https is not required', () => {
    expect(webhookUrlRefusal('https://chat.example/hooks/airlock', strict)).toBeUndefined();
    expect(webhookUrlRefusal('http://chat.example/hooks', strict)).toBeUndefined();
    expect(webhookUrlRefusal('https://93.184.216.34:8443/x', strict)).toBeUndefined();
    expect(webhookUrlRefusal('http://chat.example/hooks', { allowPrivate: false, requireHttps: true })).toEqual({ reason: 'insecure_http' });
    expect(webhookUrlRefusal('https://chat.example/hooks', { allowPrivate: false, requireHttps: true })).toBeUndefined();
  });

  it('lets private targets through only with the development switch, never other schemes or credentials', () => {
    const dev = { allowPrivate: true, requireHttps: false };
    expect(webhookUrlRefusal('http://127.0.0.1:3001/hooks', dev)).toBeUndefined();
    expect(webhookUrlRefusal('http://localhost:3001/hooks', dev)).toBeUndefined();
    expect(webhookUrlRefusal('ftp://127.0.0.1/', dev)).toEqual({ reason: 'scheme' });
    expect(webhookUrlRefusal('http://a:b@127.0.0.1/', dev)).toEqual({ reason: 'userinfo' });
  });
});

describe('webhookDeliveryErrorOf', () => {
  it.each([
    ['ECONNREFUSED', 'unreachable'],
    ['ECONNRESET', 'unreachable'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENOTFOUND', 'unreachable'],
    ['connect ECONNREFUSED 127.0.0.1:3001', 'unreachable'],
    [null, 'unreachable'],
    ['TimeoutError', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['CERT_HAS_EXPIRED', 'tls_error'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls_error'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls_error'],
    ['http_500', 'http_500'],
    ['http_302', 'http_302'],
    ['forbidden_target', 'forbidden_target'],
  ])('%s -> %s', (code, cls) => {
    expect(webhookDeliveryErrorOf(code)).toBe(cls);
  });
});
