import { hashApiKey, parseTenantKeys } from './api-key';

describe('parseTenantKeys', () => {
  it('parses tenant:key pairs and stores only hashes', () => {
    const tenants = parseTenantKeys('a:key-a, b:key:with:colons');
    expect(tenants).toEqual([
      { id: 'a', apiKeyHash: hashApiKey('key-a') },
      { id: 'b', apiKeyHash: hashApiKey('key:with:colons') },
    ]);
    expect(JSON.stringify(tenants)).not.toContain('key-a');
  });

  it('names the bad entry without echoing its key', () => {
    expect(() => parseTenantKeys('good:k,broken')).toThrow(/"broken" must be tenantId:apiKey/);
    expect(() => parseTenantKeys('t:')).toThrow(/"t"/);
  });
});
