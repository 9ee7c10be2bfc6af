import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { wrapKey } from '@airlock/crypto';
import { DEFAULT_MEDIA_POLICY, DEFAULT_PROFILES } from '@airlock/domain';
import { HealthController, MetricsController, READINESS, Readiness } from '@airlock/telemetry';
import { IntegrationEnv, startIntegrationEnv } from '@airlock/testing';
import { API_CONTROLLERS, API_PROVIDERS } from '../api.module';
import { ApiDeps } from '../api.deps';
import { hashApiKey } from '../tenants/api-key';
import { installRateLimits } from '../throttle/rate-limit.guard';
import { ApiTestApp, apiTestDeps, startApiTestApp } from '../testing/api-test-app';
import { apiRoutes } from './api-routes';
import { serveApiDocs } from './openapi';

type Json = unknown;
type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters: { name: string; in: 'path' | 'query' | 'header'; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { 'x-error-codes'?: string[] }>;
  security: Record<string, string[]>[];
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** One request to send: everything a fuzz case may change. */
interface Probe {
  path: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  /** Sent as JSON unless `raw` is given. */
  body?: Json;
  raw?: { text: string; contentType: string };
  auth: boolean;
  label: string;
}

/** Values a client may send where a field is expected: wrong types, NUL, sizes, shapes, bad keys. */
const BAD_JSON_VALUES: Json[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 64,
  '',
  'a\u0000b',
  '\u0000',
  'x'.repeat(5000),
  '\ud800',
  '../../../etc/passwd',
  [],
  ['x'],
  {},
  { a: { b: 1 } },
  // X25519 keys that are not: the zero point, a short and a long one, a non-canonical last character.
  'A'.repeat(43),
  'A'.repeat(42),
  'A'.repeat(44),
  `${'A'.repeat(42)}B`,
];
/** The same, as they arrive in a query string or a path (already percent-encoded). */
const BAD_URL_VALUES = ['', '%00', 'a%00b', 'x'.repeat(3000), '-1', '1e309', 'NaN', '%E0%A4%A', '%F0%9F%92%A9', '%2F', '%25', 'null', '%5B%5D', `${'A'.repeat(42)}B`];
const BAD_HEADER_VALUES = ['', 'x'.repeat(4000), 'wait=99999999999999999999', '"', 'a,b;c=d'];
/** Bodies that are not the expected JSON object at all. */
const BAD_BODIES: Probe['raw'][] = [
  { text: '{', contentType: 'application/json' },
  { text: '', contentType: 'application/json' },
  { text: 'null', contentType: 'application/json' },
  { text: '[]', contentType: 'application/json' },
  { text: '"text"', contentType: 'application/json' },
  { text: '123', contentType: 'application/json' },
  { text: '{"a":1}'.padEnd(70_000, ' '), contentType: 'application/json' },
  { text: `{"x":"${'y'.repeat(70_000)}"}`, contentType: 'application/json' },
  { text: '{}', contentType: 'application/json; charset=utf-16' },
  { text: '{}', contentType: 'text/plain' },
  { text: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
];

/**
 * Every operation of the served OpenAPI document gets malformed values in every field it
 * documents (path, query, headers, each body field at any depth) and malformed bodies, on real
 * Postgres, Redis and the store: no answer may be a 5xx, every error has the documented shape,
 * and its status and code are among those the operation documents. A new route is covered as
 * soon as it is in the route table, and a test below fails when a mounted route is not.
 */
describe('public routes under malformed input', () => {
  let env: IntegrationEnv;
  let deps: ApiDeps;
  let api: ApiTestApp;
  let doc: Doc;
  let mediaId: string;
  const tenantKey = 'fuzz-tenant-key';
  /** Bodies known to be accepted, by operation, where the generated sample is refused for a reason of its own. */
  const goodBodies: Record<string, Json> = {};

  beforeAll(async () => {
    env = await startIntegrationEnv('api-fuzz');
    // Quotas out of the way: every accepted create counts, and the fuzz must reach the checks behind them.
    const quotas = { ...DEFAULT_MEDIA_POLICY.quotas, max_active_media_per_tenant: 1_000_000, max_active_media_per_room: 1_000_000 };
    // Rate limits on (the real guard sees every malformed request first), raised so the fuzz is not cut short.
    const limits = { RATE_LIMIT_PER_TENANT: '1000000', RATE_LIMIT_PER_ADDRESS: '1000000', RATE_LIMIT_PER_WORKER: '1000000' };
    deps = { ...apiTestDeps(env, limits), policies: () => ({ ...DEFAULT_MEDIA_POLICY, quotas }) };
    const readiness: Readiness = { checks: async () => ({ postgres: true }), accepting: () => true };
    api = await startApiTestApp(
      deps,
      { controllers: [...API_CONTROLLERS, HealthController, MetricsController], providers: [...API_PROVIDERS, { provide: READINESS, useValue: readiness }] },
      (app) => {
        installRateLimits(app, deps);
        serveApiDocs(app);
      },
    );
    await env.db.tenant.create({ data: { id: 'fuzz', name: 'fuzz', apiKeyHash: hashApiKey(tenantKey) } });
    doc = (await (await fetch(`${api.base}/docs/openapi.json`)).json()) as Doc;
    // A real media, so that path ids reach the lookups behind them.
    // A create the api accepts (a known profile, a content key it can open), so that every field's change is judged alone.
    const seed = baseline('post', '/v1/media');
    const source = { sizeBytes: 10, sha256: 'ab'.repeat(32), contentKeyJwe: await wrapKey(new Uint8Array(32), deps.pipelineKey.publicJwk) };
    goodBodies['createMedia'] = { ...(seed.body as object), profiles: [DEFAULT_PROFILES[1]], source };
    const created = await send('post', '/v1/media', operation('post', '/v1/media'), baseline('post', '/v1/media'));
    expect(created.status).toBe(201);
    mediaId = (created.json as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  function operation(method: string, path: string): Operation {
    const op = doc.paths[path]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    return op;
  }

  function resolve(schema: Schema): Schema {
    const ref = schema['$ref'];
    if (typeof ref === 'string') return resolve(doc.components.schemas[ref.replace('#/components/schemas/', '')] ?? {});
    const allOf = schema['allOf'] as Schema[] | undefined;
    return allOf ? Object.assign({}, ...allOf.map(resolve)) : schema;
  }

  /** A value the schema accepts (from its examples where a pattern needs one), every optional field filled in. */
  function sample(input: Schema): Json {
    const schema = resolve(input);
    const examples = schema['examples'] as Json[] | undefined;
    if (examples?.length) return examples[0];
    if ('default' in schema) return schema['default'];
    const enumValues = schema['enum'] as Json[] | undefined;
    if (enumValues?.length) return enumValues[0];
    switch (schema['type']) {
      case 'object': {
        const props = (schema['properties'] ?? {}) as Record<string, Schema>;
        return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sample(v)]));
      }
      case 'array':
        return Array.from({ length: Math.max(1, Number(schema['minItems'] ?? 1)) }, () => sample(schema['items'] as Schema));
      case 'integer':
      case 'number':
        return Math.max(1, Number(schema['minimum'] ?? 1));
      case 'boolean':
        return true;
      case 'string':
        if (schema['format'] === 'uuid') return randomUUID();
        return 'a'.repeat(Math.max(1, Number(schema['minLength'] ?? 1)));
      default:
        return 'a';
    }
  }

  function baseline(method: string, path: string): Probe {
    const op = operation(method, path);
    const probe: Probe = { path: {}, query: [], headers: {}, auth: true, label: 'baseline' };
    for (const p of op.parameters) {
      // Path ids name the real media (a grant or dead letter id that is not one is refused all the same).
      if (p.in === 'path') probe.path[p.name] = mediaId ?? String(sample(p.schema));
    }
    const body = op.requestBody?.content['application/json']?.schema;
    if (body) probe.body = goodBodies[op.operationId] ?? sample(body);
    return probe;
  }

  /** Every place in a JSON value a field can be changed, as paths of keys and indexes. */
  function fieldPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => fieldPaths(v, [...prefix, i]))];
    if (value && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => fieldPaths(v, [...prefix, k]))];
    return [prefix];
  }

  function withField(value: Json, path: (string | number)[], replacement: Json | typeof REMOVE): Json {
    if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
    const copy = structuredClone(value) as Record<string | number, Json>;
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
    const last = path[path.length - 1] as string | number;
    if (replacement === REMOVE) delete node[last];
    else node[last] = replacement;
    return copy;
  }
  const REMOVE = Symbol('remove');

  function cases(method: string, path: string): Probe[] {
    const op = operation(method, path);
    const base = baseline(method, path);
    const out: Probe[] = [base];
    const authenticated = op.security.length > 0;
    if (authenticated) out.push({ ...base, auth: false, label: 'no credentials' });
    for (const p of op.parameters) {
      if (p.in === 'path') for (const v of BAD_URL_VALUES.filter(Boolean)) out.push({ ...base, path: { ...base.path, [p.name]: v }, label: `path ${p.name}=${v.slice(0, 20)}` });
      if (p.in === 'query') {
        for (const v of BAD_URL_VALUES) out.push({ ...base, query: [[p.name, v]], label: `query ${p.name}=${v.slice(0, 20)}` });
        out.push({ ...base, query: [[p.name, 'a'], [p.name, 'b']], label: `query ${p.name} twice` });
        out.push({ ...base, query: [[`${p.name}[a]`, '1']], label: `query ${p.name}[a]` });
      }
      if (p.in === 'header') for (const v of BAD_HEADER_VALUES) out.push({ ...base, headers: { [p.name]: v }, label: `header ${p.name}=${v.slice(0, 20)}` });
    }
    if (op.requestBody) {
      for (const field of fieldPaths(base.body)) {
        const name = field.join('.') || '(body)';
        for (const v of BAD_JSON_VALUES) out.push({ ...base, body: withField(base.body, field, v), label: `body ${name}=${JSON.stringify(v)?.slice(0, 20)}` });
        if (field.length > 0) out.push({ ...base, body: withField(base.body, field, REMOVE), label: `body ${name} missing` });
      }
      for (const raw of BAD_BODIES) out.push({ ...base, body: undefined, raw, label: `raw body ${raw?.contentType} ${raw?.text.slice(0, 10)}` });
    }
    return out;
  }

  async function send(method: string, template: string, op: Operation, probe: Probe): Promise<{ status: number; json: Json; text: string }> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => probe.path[name] ?? 'x');
    const query = probe.query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
    const headers: Record<string, string> = { ...probe.headers };
    if (probe.auth && op.security.some((s) => 'tenantKey' in s)) headers['Authorization'] = `Bearer ${tenantKey}`;
    if (probe.auth && op.security.some((s) => 'operator' in s)) {
      headers['Authorization'] = `Basic ${Buffer.from(`${deps.config.ADMIN_USER}:${deps.config.ADMIN_PASSWORD}`).toString('base64')}`;
    }
    let body: string | undefined;
    if (probe.raw) {
      headers['Content-Type'] = probe.raw.contentType;
      body = probe.raw.text;
    } else if (probe.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(probe.body);
    }
    const res = await fetch(`${api.base}${path}${query ? `?${query}` : ''}`, { method: method.toUpperCase(), headers, body });
    const text = await res.text();
    let json: Json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  it('documents every route the app serves, and serves every documented route', () => {
    const router = (api.app.getHttpAdapter().getInstance() as Express).router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    const served = router.stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route?.methods ?? {}).map((m) => `${m} ${(l.route?.path ?? '').replace(/:(\w+)/g, '{$1}')}`))
      .filter((r) => !r.includes('/docs'));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(served.sort()).toEqual(documented.sort());
    expect(documented.sort()).toEqual(Object.values(apiRoutes).map((r) => `${r.method} ${r.path}`).sort());
  });

  it('answers malformed input on every operation with a documented 4xx, never a 5xx', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const route = apiRoutes[op.operationId as keyof typeof apiRoutes];
        for (const probe of cases(method, path)) {
          const res = await send(method, path, op, probe);
          sent++;
          const where = `${method.toUpperCase()} ${path} [${probe.label}] -> ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status >= 500) failures.push(where);
          else if (res.status >= 400) {
            const error = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
            if (typeof error?.code !== 'string' || typeof error.message !== 'string') failures.push(`${where}: not the error shape`);
            else if (!op.responses[String(res.status)]?.['x-error-codes']?.includes(error.code)) failures.push(`${where}: ${res.status} ${error.code} is not documented`);
          } else if (res.status === route.success.status && route.success.schema !== 'text') {
            const parsed = route.success.schema.safeParse(res.json);
            if (!parsed.success) failures.push(`${where}: the answer does not match its schema: ${parsed.error.message}`);
          } else if (res.status !== route.success.status && !(String(res.status) in op.responses)) failures.push(`${where}: undocumented status`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 300_000);
});
