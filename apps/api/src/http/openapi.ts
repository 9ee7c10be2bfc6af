import type { INestApplication } from '@nestjs/common';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { apiErrorSchema } from '@airlock/contracts';
import { ApiRoute, apiRoutes } from './api-routes';

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.0.3';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const SECURITY: Record<ApiRoute['auth'], Json[]> = {
  tenant: [{ tenantKey: [] }],
  operator: [{ operator: [] }],
  token: [],
  none: [],
};

/**
 * The OpenAPI document of `routes`, from the zod schemas the controllers validate with: request
 * parts as parameters and bodies, the success body, and one response per error status listing
 * its codes. Schemas with an id (`.meta({ id })`) become components.
 */
export function openApiDocument(routes: Readonly<Record<string, ApiRoute>>): OpenApiDocument {
  const schemas: Record<string, Json> = {};

  /** The JSON schema of `schema`; named sub-schemas move to the components and are referenced. */
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const generated = relink(z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Json);
    const { definitions, ...root } = generated as Json & { definitions?: Record<string, Json> };
    for (const [id, def] of Object.entries(definitions ?? {})) {
      // A name means one schema: a request (input) and an answer (output) rendering it differently would be two.
      if (schemas[id] && JSON.stringify(schemas[id]) !== JSON.stringify(def)) throw new Error(`OpenAPI: schema ${id} renders differently where it is used`);
      schemas[id] = def;
    }
    return root;
  };
  const errorRef = schemaOf(apiErrorSchema, 'output');

  const parameters = (obj: z.ZodObject | undefined, where: 'path' | 'query' | 'header'): Json[] => {
    if (!obj) return [];
    const js = schemaOf(obj, 'input') as { properties?: Record<string, Json>; required?: string[] };
    return Object.entries(js.properties ?? {}).map(([name, { description, ...schema }]) => ({
      name: where === 'header' ? name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()) : name,
      in: where,
      required: where === 'path' || (js.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema,
    }));
  };

  const paths: OpenApiDocument['paths'] = {};
  for (const [operationId, route] of Object.entries(routes)) {
    const { success } = route;
    const responses: Json = {
      [success.status]: {
        description: success.description,
        content: success.schema === 'text' ? { 'text/plain': { schema: { type: 'string' } } } : { 'application/json': { schema: schemaOf(success.schema, 'output') } },
      },
    };
    for (const [status, description] of Object.entries(route.also ?? {})) responses[status] = { description };
    for (const [status, codes] of Object.entries(route.errors)) {
      responses[status] = {
        description: `Error codes: ${codes.join(', ')}`,
        'x-error-codes': codes,
        content: {
          'application/json': {
            schema: { allOf: [errorRef, { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string', enum: codes } } } } }] },
          },
        },
      };
    }
    (paths[route.path] ??= {})[route.method] = {
      operationId,
      summary: route.summary,
      tags: [route.tag],
      security: SECURITY[route.auth],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...parameters(route.headers, 'header')],
      ...(route.body ? { requestBody: { required: route.bodyRequired ?? true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.0.3',
    info: {
      title: 'Airlock API',
      version: '1',
      description: 'Private video transcoding for encrypted chat. Every error answers `{ "error": { "code", "message", "details"? } }`; each operation lists its codes.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: {
        tenantKey: { type: 'http', scheme: 'bearer', description: "The tenant's API key" },
        operator: { type: 'http', scheme: 'basic', description: 'Operator credentials (ADMIN_USER, ADMIN_PASSWORD)' },
      },
    },
  };
}

/** zod names its definitions `#/definitions/<id>`; in OpenAPI they are components. */
function relink(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/definitions/', '"#/components/schemas/')) as Json;
}

/** Serves the document at /docs/openapi.json, with the Swagger UI at /docs. */
export function serveApiDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, openApiDocument(apiRoutes) as unknown as OpenAPIObject, { jsonDocumentUrl: 'docs/openapi.json' });
}
