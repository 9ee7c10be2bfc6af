import { IntegrationEnv, mediaRow, startIntegrationEnv } from '@airlock/testing';
import { MediaController } from '../media/media.controller';
import { MediaService } from '../media/media.service';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';
import { parseTenantKeys } from './api-key';
import { TenantGuard } from './tenant.guard';
import { reconcileTenants } from './tenant-registry';

/**
 * TENANT_KEYS is the list of tenants, applied at every api boot on real Postgres: a tenant taken
 * off it stops working (its key answers 401) while its media rows stay; listed again, it works.
 */
describe('tenants reconciled with TENANT_KEYS at boot', () => {
  let env: IntegrationEnv;
  let api: ApiTestApp;

  beforeAll(async () => {
    env = await startIntegrationEnv('api-tenant-registry');
    api = await startApiTestApp(apiTestDeps(env), { controllers: [MediaController], providers: [MediaService, TenantGuard] });
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const list = (key: string) => fetch(`${api.base}/v1/media`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);

  it('disables the tenants no longer listed, keeps their media, and enables them when listed again', async () => {
    expect(await reconcileTenants(env.db, parseTenantKeys('acme:key-acme,globex:key-globex'))).toEqual({ disabled: [] });
    const media = await env.db.media.create({ data: mediaRow('globex', 'ready') });
    expect(await list('key-globex')).toBe(200);

    // globex is taken off the list: the next boot disables it.
    expect(await reconcileTenants(env.db, parseTenantKeys('acme:key-acme'))).toEqual({ disabled: ['globex'] });
    expect(await list('key-globex')).toBe(401);
    expect(await list('key-acme')).toBe(200);
    const row = await env.db.tenant.findUniqueOrThrow({ where: { id: 'globex' } });
    expect(row.disabledAt).toBeInstanceOf(Date);
    expect(await env.db.media.findUnique({ where: { id: media.id } })).not.toBeNull();

    // A later boot has nothing more to disable; a new key for a listed tenant replaces the old one.
    expect(await reconcileTenants(env.db, parseTenantKeys('acme:key-acme-2'))).toEqual({ disabled: [] });
    expect(await list('key-acme')).toBe(401);
    expect(await list('key-acme-2')).toBe(200);

    // Listed again (with the key it had), globex works again and sees its media.
    expect(await reconcileTenants(env.db, parseTenantKeys('acme:key-acme-2,globex:key-globex'))).toEqual({ disabled: [] });
    expect(await list('key-globex')).toBe(200);
    expect((await env.db.tenant.findUniqueOrThrow({ where: { id: 'globex' } })).disabledAt).toBeNull();
  });

  it('lets a listed tenant take over the key of one removed in the same boot', async () => {
    await reconcileTenants(env.db, parseTenantKeys('old:shared-key'));
    expect(await reconcileTenants(env.db, parseTenantKeys('new:shared-key'))).toEqual({ disabled: expect.arrayContaining(['old']) });
    expect(await list('shared-key')).toBe(200);
  });
});
