import { Client } from 'pg';

/** Without a LISTEN connection a watch says "maybe changed" this often, so waiters read again. */
const UNLISTENED_CHECK_MS = 1000;

export interface MediaWatch {
  /** True at the media's next change since the watch began (or since the last true); false once `ms` pass without one. */
  changed(ms: number): Promise<boolean>;
  close(): void;
}

interface Logger {
  warn(obj: object, msg: string): void;
}

/**
 * Changes of media, as Postgres announces them: triggers on `media` and `jobs` NOTIFY the media
 * id on a channel per schema (migration 20261122050000). One LISTEN connection per api process,
 * opened at the first watch; watches are per media id. A lost connection wakes every watch (its
 * caller reads afresh) and the next watch reconnects; while there is none, watches time out
 * every second, so long polls degrade to polling, never to missed changes.
 */
export class MediaChanges {
  private listening?: Promise<Client | undefined>;
  /** Which connection is current: a late 'end' of an old one must not drop its successor. */
  private generation = 0;
  private closed = false;
  private readonly watches = new Map<string, Set<Watch>>();
  private readonly channel: string;

  constructor(
    private readonly databaseUrl: string,
    schema: string | undefined,
    private readonly logger?: Logger,
  ) {
    this.channel = `media_changed:${schema ?? 'public'}`;
  }

  /** Watch one media; LISTEN is in place when this resolves, so no change after it is missed. */
  async watch(mediaId: string): Promise<MediaWatch> {
    if (!this.closed) this.listening ??= this.listen();
    const live = (await this.listening) !== undefined;
    const watch: Watch = new Watch(live, () => {
      const set = this.watches.get(mediaId);
      set?.delete(watch);
      if (set?.size === 0) this.watches.delete(mediaId);
    });
    const set = this.watches.get(mediaId) ?? new Set<Watch>();
    set.add(watch);
    this.watches.set(mediaId, set);
    return watch;
  }

  /** Held long polls answer at once with what they have (a 304); new watches no longer listen. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.watches.values()) for (const w of set) w.end();
    const client = await this.listening;
    this.listening = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<Client | undefined> {
    const client = new Client({ connectionString: this.databaseUrl });
    const generation = ++this.generation;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (err) this.logger?.warn({ err: err.message }, 'media change listener lost its connection');
      if (this.generation === generation) this.listening = undefined;
      for (const set of this.watches.values()) for (const w of set) w.fire();
    };
    client.on('notification', (n) => {
      if (n.channel !== this.channel || !n.payload) return;
      for (const w of this.watches.get(n.payload) ?? []) w.fire();
    });
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      return client;
    } catch (e) {
      this.logger?.warn({ err: (e as Error).message }, 'media change listener could not connect; long polls check every second');
      onLost();
      await client.end().catch(() => undefined);
      return undefined;
    }
  }
}

class Watch implements MediaWatch {
  private state: 'waiting' | 'changed' | 'ended' = 'waiting';
  private wake?: () => void;

  constructor(
    private readonly live: boolean,
    private readonly onClose: () => void,
  ) {}

  fire(): void {
    if (this.state === 'ended') return;
    this.state = 'changed';
    this.wake?.();
  }

  /** The api is shutting down: answer now, as unchanged. */
  end(): void {
    this.state = 'ended';
    this.wake?.();
  }

  async changed(ms: number): Promise<boolean> {
    if (this.state === 'waiting') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.live ? ms : Math.min(ms, UNLISTENED_CHECK_MS));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    if (this.state === 'ended') return false;
    const changed = this.state === 'changed' || !this.live;
    this.state = 'waiting';
    return changed;
  }

  close(): void {
    this.wake?.();
    this.onClose();
  }
}
