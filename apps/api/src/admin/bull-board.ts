import type { NextFunction, Request, Response } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import { QueueConnection } from '@airlock/queue';
import { basicAuthMatches, BasicCredentials } from './basic-auth';

/** The operators' board: every action (retry, clean, promote, pause, ...). */
export const BULL_BOARD_PATH = '/admin/queues';
/** The support board: the same queues, read-only (Bull Board refuses every action with 405). */
export const SUPPORT_BOARD_PATH = '/admin/support/queues';

export interface BoardCredentials {
  readonly operator: BasicCredentials;
  /** Unset: no support board is mounted. */
  readonly support?: BasicCredentials;
}

/** HTTP Basic auth for one role; job data holds ids and policy only, never content. */
export function basicAuth(expected: BasicCredentials, realm: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (basicAuthMatches(req.headers.authorization, expected)) return next();
    res.setHeader('WWW-Authenticate', `Basic realm="${realm}"`);
    res.status(401).json({ error: { code: 'unauthorized', message: 'Admin credentials required.' } });
  };
}

function board(queues: QueueConnection, path: string, readOnlyMode: boolean) {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(path);
  createBullBoard({ queues: queues.allQueues().map((q) => new BullMQAdapter(q, { readOnlyMode })), serverAdapter: adapter });
  return adapter.getRouter();
}

/**
 * Two boards over the same queues, each behind its own credentials: operators act, support
 * looks. Read-only is Bull Board's own per-queue mode, so the support board's API refuses the
 * actions, not just its UI.
 */
export function mountBullBoards(app: INestApplication, queues: QueueConnection, credentials: BoardCredentials): void {
  app.use(BULL_BOARD_PATH, basicAuth(credentials.operator, 'airlock-admin'), board(queues, BULL_BOARD_PATH, false));
  if (credentials.support) {
    app.use(SUPPORT_BOARD_PATH, basicAuth(credentials.support, 'airlock-support'), board(queues, SUPPORT_BOARD_PATH, true));
  }
}

/** The support role from SUPPORT_USER / SUPPORT_PASSWORD: both or neither. */
export function supportCredentials(config: { SUPPORT_USER?: string; SUPPORT_PASSWORD?: string }): BasicCredentials | undefined {
  const { SUPPORT_USER: user, SUPPORT_PASSWORD: password } = config;
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined || password === undefined) throw new Error('SUPPORT_USER and SUPPORT_PASSWORD go together: set both or neither');
  return { user, password };
}
