import type { MediaView } from '@airlock/contracts';
import { AirlockApiError, AirlockClient } from './airlock-client';

const view = (state: string): MediaView => ({ id: 'm1', state, recipientStatus: '', progress: { done: 0, total: 0 }, renditions: [], keyId: 'k', keys: [], createdAt: '', updatedAt: '' }) as unknown as MediaView;

/** A fetch that answers from a script, one step per request, and records what it was sent. */
function scripted(steps: (() => Response)[]) {
  const sent: Headers[] = [];
  const fetch = (async (_url: URL, init: RequestInit) => {
    sent.push(new Headers(init.headers));
    const step = steps.shift();
    if (!step) throw new Error('no more scripted answers');
    return step();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

const ok = (state: string, etag: string) => () => new Response(JSON.stringify(view(state)), { status: 200, headers: { ETag: etag } });

describe('AirlockClient.waitFor', () => {
  it('long-polls with the last ETag and reports each change until the media is final', async () => {
    const { fetch, sent } = scripted([ok('processing', '"a"'), () => new Response(null, { status: 304 }), ok('ready', '"b"')]);
    const seen: string[] = [];
    const media = await new AirlockClient({ baseUrl: 'http://api', apiKey: 'k', fetch }).waitFor('m1', { timeoutMs: 60_000, intervalMs: 1, onUpdate: (m) => seen.push(m.state) });
    expect(media.state).toBe('ready');
    expect(seen).toEqual(['processing', 'ready']);
    expect(sent[0]?.get('if-none-match')).toBeNull();
    expect(sent[1]?.get('if-none-match')).toBe('"a"');
    expect(sent[1]?.get('prefer')).toBe('wait=25');
  });

  it('tries again through a dropped connection and a 5xx (an api restarting), keeping its place', async () => {
    const { fetch, sent } = scripted([
      ok('processing', '"a"'),
      () => {
        throw new TypeError('fetch failed');
      },
      () => new Response(JSON.stringify({ error: { code: 'unavailable', message: 'draining' } }), { status: 503 }),
      ok('ready', '"b"'),
    ]);
    const media = await new AirlockClient({ baseUrl: 'http://api', apiKey: 'k', fetch }).waitFor('m1', { timeoutMs: 60_000, intervalMs: 1 });
    expect(media.state).toBe('ready');
    expect(sent[3]?.get('if-none-match')).toBe('"a"');
  });

  it('gives up at once on a 4xx: the media is not there for this key', async () => {
    const { fetch } = scripted([() => new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such media' } }), { status: 404 })]);
    await expect(new AirlockClient({ baseUrl: 'http://api', apiKey: 'k', fetch }).waitFor('m1', { timeoutMs: 60_000, intervalMs: 1 })).rejects.toBeInstanceOf(AirlockApiError);
  });
});

describe('AirlockClient rate limits', () => {
  const limited = () => new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'later' } }), { status: 429, headers: { 'Retry-After': '0' } });

  it('sends a call again after the Retry-After of a 429', async () => {
    const { fetch, sent } = scripted([limited, limited, ok('ready', '"a"')]);
    expect((await new AirlockClient({ baseUrl: 'http://api', apiKey: 'k', fetch }).getMedia('m1')).state).toBe('ready');
    expect(sent).toHaveLength(3);
  });

  it('gives the 429 as the answer once its retries are spent', async () => {
    const { fetch, sent } = scripted([limited, limited, limited, limited]);
    await expect(new AirlockClient({ baseUrl: 'http://api', apiKey: 'k', fetch }).getMedia('m1')).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
    expect(sent).toHaveLength(4);
  });
});
