import { ArgumentsHost, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { ApiError } from './api-error';
import { ErrorFilter } from './error.filter';

function run(filter: ErrorFilter, exception: unknown) {
  const res = { statusCode: 0, body: undefined as unknown, status(s: number) { this.statusCode = s; return this; }, json(b: unknown) { this.body = b; return this; } };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  return res;
}

describe('ErrorFilter', () => {
  const unexpected: unknown[] = [];
  const filter = new ErrorFilter((e) => unexpected.push(e));

  it('keeps ApiError bodies as they are', () => {
    const res = run(filter, new ApiError(422, 'unknown_profile', 'Unknown profile(s): 9000p.', { unknown: ['9000p'] }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toEqual({ error: { code: 'unknown_profile', message: 'Unknown profile(s): 9000p.', details: { unknown: ['9000p'] } } });
  });

  it('turns zod errors into 400 invalid_request with paths', () => {
    const parsed = z.object({ a: z.number() }).safeParse({ a: 'x' });
    const res = run(filter, parsed.error);
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'a' }] } });
  });

  it('maps body-parser limits to 413 and bad JSON to 400', () => {
    expect(run(filter, { type: 'entity.too.large' }).statusCode).toBe(413);
    expect(run(filter, { type: 'entity.parse.failed' }).statusCode).toBe(400);
  });

  it('maps any other request the parsers cannot read to its 4xx, never a 500', () => {
    const charset = Object.assign(new Error('unsupported charset "UTF-16"'), { type: 'charset.unsupported', status: 415, expose: true });
    expect(run(filter, charset)).toMatchObject({ statusCode: 415, body: { error: { code: 'unsupported_encoding' } } });
    const aborted = Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400, expose: true });
    expect(run(filter, aborted)).toMatchObject({ statusCode: 400, body: { error: { code: 'invalid_request' } } });
    // A server-side status, or one not meant to be shown, is not the client's fault: it stays a 500, and is logged.
    const logged: unknown[] = [];
    const own = new ErrorFilter((e) => logged.push(e));
    expect(run(own, Object.assign(new Error('stream encoding should not be set'), { type: 'stream.encoding.set', status: 500, expose: false })).statusCode).toBe(500);
    expect(run(own, Object.assign(new Error('x'), { status: 400, expose: false })).statusCode).toBe(500);
    expect(logged).toHaveLength(2);
  });

  it('maps framework exceptions to codes and hides unexpected errors', () => {
    expect(run(filter, new NotFoundException()).body).toMatchObject({ error: { code: 'not_found' } });
    const res = run(filter, new Error('db password is hunter2'));
    expect(res.statusCode).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expect(unexpected).toHaveLength(1);
  });
});
