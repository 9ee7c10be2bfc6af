import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { HealthController, MetricsController } from '@airlock/telemetry';
import { API_CONTROLLERS } from '../api.module';
import { apiRoutes } from './api-routes';
import { openApiDocument } from './openapi';

type Json = Record<string, unknown>;
const doc = openApiDocument(apiRoutes);
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

/** `METHOD /path/{param}` of every handler of the controllers, read from Nest's decorators. */
function controllerRoutes(): string[] {
  return [...API_CONTROLLERS, HealthController, MetricsController].flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as unknown as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .filter((name) => name !== 'constructor' && Reflect.hasMetadata(METHOD_METADATA, proto[name] as object))
      .map((name) => {
        const handler = proto[name] as object;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod].toLowerCase();
        const path = `/${[prefix, String(Reflect.getMetadata(PATH_METADATA, handler))].filter((p) => p && p !== '/').join('/')}`;
        return `${method} ${path.replace(/:(\w+)/g, '{$1}')}`;
      });
  });
}

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsIn(v)));
  }
  return [];
}

describe('the OpenAPI document', () => {
  it('has exactly the routes the controllers declare', () => {
    const documented = operations.map(({ method, path }) => `${method} ${path}`).sort();
    expect(documented).toEqual(controllerRoutes().sort());
    expect(documented.length).toBeGreaterThanOrEqual(24);
  });

  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))('%s documents its request, its answer and its errors', (_, { path, op }) => {
    const route = apiRoutes[op['operationId'] as keyof typeof apiRoutes];
    expect(route).toBeDefined();
    expect(op['summary']).toEqual(expect.any(String));
    const parameters = op['parameters'] as { name: string; in: string; schema: Json }[];

    // Request: every path variable is a documented parameter, every query/header field too, and the body.
    const pathVars = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathVars);
    for (const [part, where] of [['query', 'query'], ['headers', 'header']] as const) {
      const shape = (route as { [k: string]: unknown })[part] as { shape: Json } | undefined;
      expect(parameters.filter((p) => p.in === where)).toHaveLength(Object.keys(shape?.shape ?? {}).length);
    }
    for (const p of parameters) expect(p.schema).toEqual(expect.objectContaining({}));
    if ('body' in route) {
      const body = op['requestBody'] as { content: { 'application/json': { schema: Json } } };
      expect(body.content['application/json'].schema['$ref']).toMatch(/^#\/components\/schemas\//);
    } else {
      expect(op['requestBody']).toBeUndefined();
    }

    // The success answer and its schema.
    const responses = op['responses'] as Record<string, { content?: Record<string, { schema: Json }>; 'x-error-codes'?: string[] }>;
    const success = Object.keys(responses).filter((s) => s.startsWith('2'));
    expect(success).toEqual([String(route.success.status)]);
    expect(Object.values(responses[success[0] as string]?.content ?? {})[0]?.schema).toEqual(expect.objectContaining({}));

    // Every error status with the error schema and its codes.
    const errors = Object.entries(responses).filter(([s]) => Number(s) >= 400);
    for (const [, response] of errors) {
      expect(response['x-error-codes']?.length).toBeGreaterThan(0);
      const schema = response.content?.['application/json']?.schema as { allOf: Json[] };
      expect(schema.allOf[0]).toEqual({ $ref: '#/components/schemas/ApiError' });
      expect(schema.allOf[1]).toMatchObject({ properties: { error: { properties: { code: { enum: response['x-error-codes'] } } } } });
    }
    const codes = (status: number) => responses[String(status)]?.['x-error-codes'] ?? [];
    const hasInput = parameters.length > 0 || 'body' in route;
    if (hasInput) expect(codes(400)).toContain('invalid_request');
    if ('body' in route) expect(codes(400)).toContain('invalid_json');
    if (route.auth === 'tenant' || route.auth === 'operator') expect(codes(401)).toContain('unauthorized');
    if (route.tag !== 'health') expect(codes(429)).toContain('rate_limited');
  });

  it('lists every error code the api throws, with its status, on some route', () => {
    const sources = (readdirSync(join(__dirname, '..'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.includes('.spec.') && !f.startsWith('testing'));
    const thrown = new Set<string>();
    for (const file of sources) {
      const code = readFileSync(join(__dirname, '..', file), 'utf8');
      // `new ApiError(409, 'code'` and the grant services' `refuse(claims, 403, 'code'` / `refuse(403, 'code'`.
      for (const m of code.matchAll(/(?:ApiError|refuse)\((?:claims, )?(\d{3}), '([a-z_]+)'/g)) thrown.add(`${m[1]} ${m[2]}`);
    }
    expect(thrown.size).toBeGreaterThan(20);
    const documented = new Set(Object.values(apiRoutes).flatMap((r) => Object.entries(r.errors).flatMap(([status, codes]) => codes.map((c) => `${status} ${c}`))));
    expect([...thrown].filter((c) => !documented.has(c))).toEqual([]);
  });

  it('names its schemas as components, and every reference resolves', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names).toEqual(expect.arrayContaining(['ApiError', 'CreateMediaRequest', 'MediaView', 'PublicJwk', 'GrantRequest']));
    for (const ref of refsIn(doc)) expect(names).toContain(ref.replace('#/components/schemas/', ''));
  });

  it('documents the strings it refuses (NUL) and the key it checks', () => {
    const jwk = doc.components.schemas['PublicJwk'] as { properties: Record<string, Json> };
    expect(jwk.properties['x']).toMatchObject({ pattern: expect.any(String) });
    const create = doc.components.schemas['CreateMediaRequest'] as { properties: Record<string, Json> };
    expect(create.properties['roomId']).toMatchObject({ pattern: expect.stringContaining('u0000') });
  });
});
