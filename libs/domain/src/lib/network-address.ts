/**
 * Which kind of network an IP address belongs to, so that outbound calls chosen by a tenant
 * (webhooks) never reach the pipeline's own network, the host, or a cloud metadata service.
 * Pure: strings in, a kind out. IPv4 is refused by range (everything not listed is public);
 * IPv6 is allowed only in global unicast (2000::/3) outside its special ranges, and the IPv6
 * forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
 */
export const ADDRESS_KINDS = ['public', 'loopback', 'private', 'link_local', 'cgnat', 'unique_local', 'multicast', 'unspecified', 'metadata', 'reserved'] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];

export interface ParsedAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: readonly number[];
}

type Range = readonly [base: readonly number[], prefixBits: number, kind: AddressKind];

/** Most specific first: the first match wins. */
const IPV4_RANGES: readonly Range[] = [
  [[169, 254, 169, 254], 32, 'metadata'], // AWS, GCP, Azure, OpenStack
  [[100, 100, 100, 200], 32, 'metadata'], // Alibaba Cloud
  [[192, 0, 0, 192], 32, 'metadata'], // Oracle Cloud
  [[0, 0, 0, 0], 32, 'unspecified'],
  [[0, 0, 0, 0], 8, 'reserved'], // "this network"
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'cgnat'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link_local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2, 0], 24, 'reserved'], // documentation
  [[192, 88, 99, 0], 24, 'reserved'], // 6to4 relay anycast
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'], // benchmarking
  [[198, 51, 100, 0], 24, 'reserved'], // documentation
  [[203, 0, 113, 0], 24, 'reserved'], // documentation
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'], // and the broadcast address
];

const hex = (h: string): number[] => h.split(':').flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; });

const IPV6_RANGES: readonly Range[] = [
  [hex('fd00:ec2:0:0:0:0:0:254'), 128, 'metadata'], // AWS over IPv6
  [hex('0:0:0:0:0:0:0:0'), 128, 'unspecified'],
  [hex('0:0:0:0:0:0:0:1'), 128, 'loopback'],
  [hex('64:ff9b:1:0:0:0:0:0'), 48, 'private'], // local-use NAT64
  [hex('100:0:0:0:0:0:0:0'), 64, 'reserved'], // discard-only
  [hex('2001:0:0:0:0:0:0:0'), 32, 'reserved'], // Teredo (the IPv4 inside is obfuscated)
  [hex('2001:db8:0:0:0:0:0:0'), 32, 'reserved'], // documentation
  [hex('2001:0:0:0:0:0:0:0'), 23, 'reserved'], // IETF protocol assignments
  [hex('fc00:0:0:0:0:0:0:0'), 7, 'unique_local'],
  [hex('fe80:0:0:0:0:0:0:0'), 10, 'link_local'],
  [hex('fec0:0:0:0:0:0:0:0'), 10, 'private'], // site-local (deprecated)
  [hex('ff00:0:0:0:0:0:0:0'), 8, 'multicast'],
];

/** IPv6 prefixes whose last (or, for 6to4, second and third) 32 bits are an IPv4 address, judged as that address. */
const IPV4_CARRIERS: readonly { readonly base: readonly number[]; readonly bits: number; readonly at: number }[] = [
  { base: hex('0:0:0:0:0:ffff:0:0'), bits: 96, at: 12 }, // IPv4-mapped
  { base: hex('0:0:0:0:0:0:0:0'), bits: 96, at: 12 }, // IPv4-compatible (deprecated)
  { base: hex('64:ff9b:0:0:0:0:0:0'), bits: 96, at: 12 }, // NAT64
  { base: hex('2002:0:0:0:0:0:0:0'), bits: 16, at: 2 }, // 6to4
];

function inPrefix(bytes: readonly number[], base: readonly number[], bits: number): boolean {
  for (let i = 0; i < bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i] & mask) !== (base[i] & mask)) return false;
  }
  return true;
}

/**
 * An IPv4 address as the WHATWG URL parser and inet_aton read it: 1 to 4 parts, each decimal,
 * octal (leading 0) or hex (0x), the last filling the remaining bytes (`2130706433`, `0x7f.1`,
 * `0177.0.0.1` are all 127.0.0.1). Undefined when it is not one.
 */
export function parseIPv4(s: string): ParsedAddress | undefined {
  const parts = s.endsWith('.') ? s.slice(0, -1).split('.') : s.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const values: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return undefined;
    if (!Number.isSafeInteger(n)) return undefined;
    values.push(n);
  }
  const last = values[values.length - 1];
  if (values.slice(0, -1).some((v) => v > 255) || last >= 256 ** (5 - values.length)) return undefined;
  const bytes = [0, 0, 0, 0];
  values.slice(0, -1).forEach((v, i) => (bytes[i] = v));
  for (let i = 3, rest = last; i >= values.length - 1; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return { family: 4, bytes };
}

/** An IPv6 address in any textual form (`::`, an IPv4 tail, a zone id, brackets). Undefined when it is not one. */
export function parseIPv6(s: string): ParsedAddress | undefined {
  let text = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(':')) return undefined;
  const lastColon = text.lastIndexOf(':');
  const v4Tail = text.slice(lastColon + 1);
  if (v4Tail.includes('.')) {
    // An IPv4 tail is the last two groups written as a dotted quad (only that form).
    const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(v4Tail) ? parseIPv4(v4Tail) : undefined;
    if (!v4) return undefined;
    const [a, b, c, d] = v4.bytes;
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const back = halves.length === 2 ? groups(halves[1]) : [];
  if ([...head, ...back].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const missing = 8 - head.length - back.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array.from({ length: missing }, () => '0'), ...back];
  return { family: 6, bytes: hex(all.join(':')) };
}

/** A literal IP address (IPv4 in any inet_aton form, IPv6 with or without brackets), or undefined for a name. */
export function parseIpLiteral(host: string): ParsedAddress | undefined {
  return parseIPv6(host) ?? parseIPv4(host);
}

/** The kind of network `address` belongs to. */
export function classifyParsed(address: ParsedAddress): AddressKind {
  const { bytes } = address;
  if (address.family === 4) return IPV4_RANGES.find(([base, bits]) => inPrefix(bytes, base, bits))?.[2] ?? 'public';
  for (const [base, bits, kind] of IPV6_RANGES.slice(0, 3)) if (inPrefix(bytes, base, bits)) return kind;
  const carrier = IPV4_CARRIERS.find((c) => inPrefix(bytes, c.base, c.bits));
  if (carrier) return classifyParsed({ family: 4, bytes: bytes.slice(carrier.at, carrier.at + 4) });
  const special = IPV6_RANGES.slice(3).find(([base, bits]) => inPrefix(bytes, base, bits));
  if (special) return special[2];
  // Only global unicast is public; the rest of the space is unassigned or reserved.
  return (bytes[0] & 0xe0) === 0x20 ? 'public' : 'reserved';
}

/** The kind of network of an IP literal, or undefined when `host` is a name. */
export function classifyAddress(host: string): AddressKind | undefined {
  const parsed = parseIpLiteral(host);
  return parsed && classifyParsed(parsed);
}
