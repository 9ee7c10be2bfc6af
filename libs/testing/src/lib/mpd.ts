export interface MpdRepresentation {
  id: string;
  bandwidth: number;
  codecs: string;
  width?: number;
  height?: number;
  /** Media segments: SegmentURL count, else SegmentTimeline S count (with @r), else from SegmentTemplate@duration. */
  segments: number;
}

export interface MpdSummary {
  representations: MpdRepresentation[];
  /** MPD@mediaPresentationDuration in seconds (0 when absent). */
  durationSec: number;
}

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

function decodeEntities(value: string): string {
  return value.replace(
    /&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi,
    (whole, ref: string) => {
      const named: Record<string, string> = {
        amp: '&',
        lt: '<',
        gt: '>',
        quot: '"',
        apos: "'",
      };
      const lower = ref.toLowerCase();
      if (lower.startsWith('#x'))
        return String.fromCodePoint(parseInt(lower.slice(2), 16));
      if (lower.startsWith('#'))
        return String.fromCodePoint(parseInt(lower.slice(1), 10));
      return named[lower] ?? whole;
    },
  );
}

/** A minimal XML reader: elements and attributes only; throws on unbalanced or malformed tags. */
export function parseXml(xml: string): XmlElement {
  const text = xml.replace(
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>/g,
    '',
  );
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  const stack = [root];
  const tag =
    /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const attr = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  let last = 0;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    if (text.slice(last, m.index).includes('<'))
      throw new Error(`malformed XML near offset ${last}`);
    last = tag.lastIndex;
    const [, closing, qname, rawAttrs, selfClosing] = m;
    const name = qname.includes(':')
      ? qname.slice(qname.indexOf(':') + 1)
      : qname;
    if (closing) {
      const open = stack.pop();
      if (!open || open === root || open.name !== name) {
        throw new Error(
          `unexpected </${qname}>${open && open !== root ? `, <${open.name}> is open` : ''}`,
        );
      }
      continue;
    }
    const el: XmlElement = { name, attrs: {}, children: [] };
    for (let a = attr.exec(rawAttrs); a; a = attr.exec(rawAttrs)) {
      el.attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? '');
    }
    stack[stack.length - 1].children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (text.slice(last).includes('<'))
    throw new Error(`malformed XML near offset ${last}`);
  if (stack.length !== 1)
    throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  return root;
}

/** Seconds in an xs:duration such as PT1H2M3.5S or P1DT0.5S. */
export function parseIsoDuration(value: string): number {
  const m =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      value.trim(),
    );
  if (!m) throw new Error(`not an ISO 8601 duration: ${value}`);
  const [d, h, min, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
  return d * 86400 + h * 3600 + min * 60 + s;
}

function child(
  el: XmlElement | undefined,
  name: string,
): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

function optionalInt(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function timelineCount(timeline: XmlElement | undefined): number | undefined {
  if (!timeline) return undefined;
  return timeline.children
    .filter((c) => c.name === 'S')
    .reduce((n, s) => n + 1 + Math.max(0, Number(s.attrs['r'] ?? '0')), 0);
}

/** Segments addressed by the nearest SegmentList / SegmentTemplate of a Representation (or its AdaptationSet). */
function segmentCount(
  rep: XmlElement,
  set: XmlElement,
  periodSec: number,
): number {
  const list = child(rep, 'SegmentList') ?? child(set, 'SegmentList');
  if (list) {
    const urls = list.children.filter((c) => c.name === 'SegmentURL').length;
    return urls || (timelineCount(child(list, 'SegmentTimeline')) ?? 0);
  }
  const template =
    child(rep, 'SegmentTemplate') ?? child(set, 'SegmentTemplate');
  if (template) {
    const timeline = timelineCount(child(template, 'SegmentTimeline'));
    if (timeline !== undefined) return timeline;
    const duration = Number(template.attrs['duration'] ?? '0');
    const timescale = Number(template.attrs['timescale'] ?? '1');
    return duration > 0 ? Math.ceil((periodSec * timescale) / duration) : 0;
  }
  return 0;
}

/**
 * Structural summary of an MPD for tests: every Representation (attributes inherited from its
 * AdaptationSet where absent) with its segment count, and the presentation duration. Not a validator.
 */
export function parseMpd(xml: string): MpdSummary {
  const mpd = child(parseXml(xml), 'MPD');
  if (!mpd) throw new Error('no <MPD> root element');
  const durationAttr = mpd.attrs['mediaPresentationDuration'];
  const durationSec = durationAttr ? parseIsoDuration(durationAttr) : 0;
  const representations: MpdRepresentation[] = [];
  for (const period of mpd.children.filter((c) => c.name === 'Period')) {
    const periodSec = period.attrs['duration']
      ? parseIsoDuration(period.attrs['duration'])
      : durationSec;
    for (const set of period.children.filter(
      (c) => c.name === 'AdaptationSet',
    )) {
      for (const rep of set.children.filter(
        (c) => c.name === 'Representation',
      )) {
        const inherited = (name: string) => rep.attrs[name] ?? set.attrs[name];
        const summary: MpdRepresentation = {
          id: rep.attrs['id'] ?? '',
          bandwidth: Number(rep.attrs['bandwidth'] ?? '0'),
          codecs: inherited('codecs') ?? '',
          segments: segmentCount(rep, set, periodSec),
        };
        const width = optionalInt(inherited('width'));
        const height = optionalInt(inherited('height'));
        if (width !== undefined) summary.width = width;
        if (height !== undefined) summary.height = height;
        representations.push(summary);
      }
    }
  }
  return { representations, durationSec };
}
