import { ConfigError, loadEnv } from './env.loader';
import { orchestratorEnvSchema, workerEnvSchema } from './service.config';

const KEYS = { WORKER_SIGNING_JWK: '{"kty":"OKP"}' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadEnv(workerEnvSchema, { ...KEYS, ...env });
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('worker class and lanes', () => {
  it('leaves the class to detection by default', () => {
    const config = loadEnv(workerEnvSchema, { ...KEYS });
    expect(config.WORKER_CLASS).toBeUndefined();
    expect(config.ALLOW_NULL_ENCODER).toBe(false);
  });

  it.each(['cpu', 'nvenc', 'qsv', 'vaapi'])('accepts WORKER_CLASS=%s', (cls) => {
    expect(loadEnv(workerEnvSchema, { ...KEYS, WORKER_CLASS: cls }).WORKER_CLASS).toBe(cls);
  });

  it('rejects an unknown class naming WORKER_CLASS', () => {
    expect(errorOf({ WORKER_CLASS: 'tpu' }).message).toContain('WORKER_CLASS');
  });

  it('rejects a class that contradicts WORKER_ACCEL', () => {
    expect(errorOf({ WORKER_CLASS: 'nvenc', WORKER_ACCEL: 'qsv' }).message).toContain('WORKER_CLASS: contradicts WORKER_ACCEL=qsv');
    expect(loadEnv(workerEnvSchema, { ...KEYS, WORKER_CLASS: 'qsv', WORKER_ACCEL: 'qsv' }).WORKER_CLASS).toBe('qsv');
  });

  it('accepts the gpu lane', () => {
    expect(loadEnv(workerEnvSchema, { ...KEYS, WORKER_LANES: 'short,long,gpu' }).WORKER_LANES).toEqual(['short', 'long', 'gpu']);
  });

  it('allows the null encoder outside production', () => {
    for (const NODE_ENV of ['development', 'test']) expect(loadEnv(workerEnvSchema, { ...KEYS, NODE_ENV, WORKER_CLASS: 'null' }).WORKER_CLASS).toBe('null');
  });

  it('refuses the null encoder in production unless ALLOW_NULL_ENCODER=1', () => {
    expect(errorOf({ NODE_ENV: 'production', WORKER_CLASS: 'null' }).message).toContain('WORKER_CLASS: the null encoder writes no real media');
    expect(loadEnv(workerEnvSchema, { ...KEYS, NODE_ENV: 'production', WORKER_CLASS: 'null', ALLOW_NULL_ENCODER: '1' }).WORKER_CLASS).toBe('null');
  });
});

describe('GPU_LANE', () => {
  it('is off by default and can be turned on', () => {
    expect(loadEnv(orchestratorEnvSchema, {}).GPU_LANE).toBe(false);
    expect(loadEnv(orchestratorEnvSchema, { GPU_LANE: 'true' }).GPU_LANE).toBe(true);
  });
});

describe('null encoder models', () => {
  it('takes a modelled probe and delays for the null class', () => {
    const config = loadEnv(workerEnvSchema, { ...KEYS, WORKER_CLASS: 'null', NULL_ENCODER_PROBE: '{"durationSec":3600}', NULL_ENCODER_DELAY_MS: '{"2160p":900,"*":100}' });
    expect(config.NULL_ENCODER_PROBE).toEqual({ durationSec: 3600 });
    expect(config.NULL_ENCODER_DELAY_MS).toEqual({ '2160p': 900, '*': 100 });
  });

  it('refuses them for any other class', () => {
    expect(errorOf({ WORKER_CLASS: 'cpu', NULL_ENCODER_DELAY_MS: '{"*":1}' }).message).toContain('need WORKER_CLASS=null');
  });
});
