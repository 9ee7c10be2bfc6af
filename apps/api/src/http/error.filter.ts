import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { ZodError } from 'zod';
import { scrub } from '@airlock/telemetry';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Maps anything thrown to the documented error shape; never leaks stack traces or internals. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly onUnexpected: (err: unknown) => void) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.map(exception);
    res.status(status).json(body);
  }

  private map(e: unknown): [number, unknown] {
    if (e instanceof ZodError) {
      const details = e.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return [400, { error: { code: 'invalid_request', message: 'The request body is invalid.', details } }];
    }
    const bp = e as BodyParserError;
    if (bp?.type === 'entity.too.large') return [413, { error: { code: 'request_too_large', message: 'The request body is too large.' } }];
    if (bp?.type === 'entity.parse.failed') return [400, { error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } }];
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const response = e.getResponse();
      if (typeof response === 'object' && response && 'error' in response && typeof response.error === 'object') return [status, response];
      const message = typeof response === 'string' ? response : ((response as { message?: string }).message ?? e.message);
      return [status, { error: { code: codeFor(status), message: scrub(String(message)) } }];
    }
    this.onUnexpected(e);
    return [500, { error: { code: 'internal', message: 'Something went wrong; the request can be retried.' } }];
  }
}

function codeFor(status: number): string {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'request_too_large';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}
