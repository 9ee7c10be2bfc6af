import type { QueueConnection } from '../lib/connection';

/** Test support: remove every Redis key under the connection's prefix, so a spec leaves Redis as it found it. */
export async function deleteKeysUnderPrefix(connection: QueueConnection): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await connection.redis.scan(cursor, 'MATCH', `${connection.settings.prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await connection.redis.del(...keys);
  } while (cursor !== '0');
}
