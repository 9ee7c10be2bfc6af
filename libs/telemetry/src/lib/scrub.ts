/**
 * Logs and errors must never carry presigned URL signatures, bearer tokens or keys.
 * Scrub by shape, so a URL that slips into an error message is still cleaned.
 */
const PATTERNS: [RegExp, string][] = [
  [/(https?:\/\/[^\s"'?]+)\?[^\s"']*/g, '$1?<redacted>'],
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1<redacted>'],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1<redacted>'],
  [/(Basic\s+)[A-Za-z0-9+/=]+/gi, '$1<redacted>'],
];

export function scrub(text: string): string {
  return PATTERNS.reduce((s, [re, to]) => s.replace(re, to), text);
}

const SECRET_KEYS = /^(authorization|cookie|set-cookie|x-api-key|x-amz-security-token|password|secret|secretKey|accessKey|apiKey|token|url|uploadUrl|key_material|contentKey|outputKey|jwe|jwk|d)$/i;

/** Deep copy with secret-looking fields removed and strings scrubbed. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: scrub(value.message) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '<redacted>' : scrubValue(v, depth + 1);
    return out;
  }
  return value;
}
