import IORedis from 'ioredis';
import { commandExists, exec, waitFor } from './exec';

async function ping(url: string): Promise<boolean> {
  const r = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500 });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Make sure Redis answers at `url`; start Debian's redis-server (no persistence) when it is installed. */
export async function ensureRedis(url: string, log: (m: string) => void): Promise<void> {
  if (await ping(url)) return;
  if (!(await commandExists('redis-server'))) {
    throw new Error('Redis is not reachable at REDIS_URL and redis-server is not installed: `apt-get install -y redis-server` or use docker compose.');
  }
  const u = new URL(url);
  log('starting redis-server');
  await exec('redis-server', ['--daemonize', 'yes', '--bind', u.hostname, '--port', u.port || '6379', '--save', '', '--appendonly', 'no']);
  await waitFor('Redis', () => ping(url), 10_000);
}
