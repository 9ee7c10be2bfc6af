import { z } from 'zod';
import { ConfigError, loadEnv } from './env.loader';
import { apiEnvSchema, orchestratorEnvSchema, workerEnvSchema } from './service.config';

/** The ConfigError thrown for `env`, or a test failure when it parses. */
function configErrorOf(schema: z.ZodObject, env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the environment was accepted');
}

/** The key variables have no defaults (secrets); every parse needs them. */
const KEYS = {
  PIPELINE_PRIVATE_JWK: '{"kty":"OKP","crv":"X25519","x":"x","d":"d"}',
  WORKER_PUBLIC_JWKS: '[{"kty":"OKP","crv":"Ed25519","x":"x"}]',
  WORKER_SIGNING_JWK: '{"kty":"OKP","crv":"Ed25519","x":"x","d":"d"}',
};

describe('loadEnv', () => {
  it('parses the api defaults from an empty environment', () => {
    const config = loadEnv(apiEnvSchema, { ...KEYS });

    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'airlock',
      S3_BUCKET: 'airlock',
      S3_SINGLE_PART: true,
      HTTP_PORT: 3000,
      ADMIN_USER: 'admin',
      UPLOAD_URL_TTL_SEC: 900,
    });
    expect(config.DATABASE_SCHEMA).toBeUndefined();
    expect(config.ADMIN_PASSWORD.length).toBeGreaterThanOrEqual(8);
  });

  it('parses the worker defaults from an empty environment', () => {
    const config = loadEnv(workerEnvSchema, { ...KEYS });

    expect(config.WORKER_LANES).toEqual(['short', 'long']);
    expect(config.HTTP_PORT).toBe(3002);
    expect(config.CONCURRENCY).toBe(2);
    expect(config.FFMPEG_TIMEOUT_SEC).toBe(1800);
    expect(config.WORKER_ID).toBeUndefined();
  });

  it('coerces numbers and booleans from strings', () => {
    const config = loadEnv(apiEnvSchema, { ...KEYS, HTTP_PORT: '8080', S3_SINGLE_PART: '0', UPLOAD_URL_TTL_SEC: '60' });

    expect(config.HTTP_PORT).toBe(8080);
    expect(config.S3_SINGLE_PART).toBe(false);
    expect(config.UPLOAD_URL_TTL_SEC).toBe(60);
    expect(loadEnv(orchestratorEnvSchema, { SHORT_LANE_MAX_SEC: '90' }).SHORT_LANE_MAX_SEC).toBe(90);
  });

  it('uses process.env when no environment is given', () => {
    expect(loadEnv(z.object({ PATH: z.string() })).PATH).toBe(process.env['PATH']);
  });

  it('rejects a bad REDIS_URL with a ConfigError naming it', () => {
    const error = configErrorOf(apiEnvSchema, { ...KEYS, REDIS_URL: 'not a url' });

    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('REDIS_URL');
    expect(error.message).not.toContain('DATABASE_URL');
  });

  it('rejects an unknown worker lane naming WORKER_LANES', () => {
    const error = configErrorOf(workerEnvSchema, { ...KEYS, WORKER_LANES: 'short,bogus' });

    expect(error.message).toContain('WORKER_LANES');
  });

  it('rejects an empty lane list', () => {
    expect(configErrorOf(workerEnvSchema, { ...KEYS, WORKER_LANES: ' , ' }).message).toContain('WORKER_LANES');
  });

  it('trims and accepts a single lane', () => {
    expect(loadEnv(workerEnvSchema, { ...KEYS, WORKER_LANES: ' long ' }).WORKER_LANES).toEqual(['long']);
  });

  it('rejects an ADMIN_PASSWORD shorter than 8 characters', () => {
    const error = configErrorOf(apiEnvSchema, { ...KEYS, ADMIN_PASSWORD: 'short' });

    expect(error.message).toContain('ADMIN_PASSWORD');
    expect(loadEnv(apiEnvSchema, { ...KEYS, ADMIN_PASSWORD: '12345678' }).ADMIN_PASSWORD).toBe('12345678');
  });

  it('names every bad variable in one error', () => {
    const error = configErrorOf(apiEnvSchema, { ...KEYS, REDIS_URL: 'nope', HTTP_PORT: '70000', LOG_LEVEL: 'loud' });
    const lines = error.message.split('\n');

    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.slice(1).map((l) => l.trim().split(':')[0]).sort()).toEqual(['HTTP_PORT', 'LOG_LEVEL', 'REDIS_URL']);
  });

  it('does not echo the rejected value of a secret', () => {
    const error = configErrorOf(apiEnvSchema, { ...KEYS, ADMIN_PASSWORD: 'pw123' });
    expect(error.message).not.toContain('pw123');
  });
});
