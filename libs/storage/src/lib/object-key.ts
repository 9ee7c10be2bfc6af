/**
 * The one rule for what an object key may look like, wherever a key comes from: the app's own
 * keys (ObjectStore) and every request the local store's gate lets through. Keys are
 * `/`-separated names; a key that a filesystem or a proxy could read as another path is refused:
 * `.` and `..` segments, empty segments (`a//b`, a leading or trailing `/`), backslashes (a
 * separator on Windows), NUL and other control characters. s3rver joins keys into filesystem
 * paths, so without this `seg/../src/x` would read `src/x` through a public prefix.
 */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'the key is empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'the key holds a control character';
  if (key.includes('\\')) return 'the key holds a backslash';
  for (const segment of key.split('/')) {
    if (segment === '') return 'the key has an empty segment';
    if (segment === '.' || segment === '..') return `the key has a '${segment}' segment`;
  }
  return undefined;
}

/** A listing prefix: empty (the whole bucket), a key, or a key followed by one `/`. */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  return objectKeyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/** S3's own limit. */
export const MAX_KEY_BYTES = 1024;

export class InvalidObjectKeyError extends Error {
  constructor(key: string, problem: string) {
    super(`Refused object key ${JSON.stringify(key.slice(0, 200))}: ${problem}`);
    this.name = 'InvalidObjectKeyError';
  }
}

export function assertObjectKey(key: string): string {
  const problem = objectKeyProblem(key);
  if (problem) throw new InvalidObjectKeyError(key, problem);
  return key;
}

export function assertKeyPrefix(prefix: string): string {
  const problem = keyPrefixProblem(prefix);
  if (problem) throw new InvalidObjectKeyError(prefix, problem);
  return prefix;
}
