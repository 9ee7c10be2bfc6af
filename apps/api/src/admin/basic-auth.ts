import { timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Whether an `Authorization` header carries exactly these HTTP Basic credentials (compared in constant time). */
export function basicAuthMatches(header: string | undefined, expected: BasicCredentials): boolean {
  const [scheme, encoded] = (header ?? '').split(' ');
  const decoded = Buffer.from(encoded ?? '', 'base64').toString();
  const colon = decoded.indexOf(':');
  if (scheme !== 'Basic' || colon < 0) return false;
  // Both compared, whatever the first gives: no early answer on the user name.
  const userOk = same(decoded.slice(0, colon), expected.user);
  const passwordOk = same(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk;
}
