import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import { QueueConnection } from '@airlock/queue';

export const BULL_BOARD_PATH = '/admin/queues';

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** HTTP Basic auth for operators; job data holds ids and policy only, never content. */
function basicAuth(user: string, password: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [u, p] = Buffer.from(encoded ?? '', 'base64').toString().split(':');
    if (scheme === 'Basic' && same(u ?? '', user) && same(p ?? '', password)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="airlock-admin"');
    res.status(401).json({ error: { code: 'unauthorized', message: 'Admin credentials required.' } });
  };
}

export function mountBullBoard(app: INestApplication, queues: QueueConnection, admin: { user: string; password: string }): void {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.allQueues().map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  app.use(BULL_BOARD_PATH, basicAuth(admin.user, admin.password), adapter.getRouter());
}
