import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { ZodError } from 'zod';
import { scrub } from '@airlock/telemetry';

/** What body-parser and the router throw for a request they cannot read (http-errors). */
interface UnreadableRequest {
  type?: string;
  status?: number;
  expose?: boolean;
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
      return [400, { error: { code: 'invalid_request', message: 'The request is invalid; details name each field.', details } }];
    }
    const bp = e as UnreadableRequest;
    if (bp?.type === 'entity.too.large') return [413, { error: { code: 'request_too_large', message: 'The request body is too large.' } }];
    if (bp?.type === 'entity.parse.failed') return [400, { error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } }];
    // Any other request the parsers could not read (an unsupported charset or encoding, a body
    // cut short, a path that does not decode): the client's fault, said as such, never a 500.
    if (bp?.expose === true && typeof bp.status === 'number' && bp.status >= 400 && bp.status < 500) {
      return [bp.status, { error: { code: codeFor(bp.status), message: scrub(String((e as Error).message)) } }];
    }
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
    case 400:
      return 'invalid_request';
    case 413:
      return 'request_too_large';
    case 415:
      return 'unsupported_encoding';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}
