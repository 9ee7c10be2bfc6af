import { z } from 'zod';
import { noNul, text } from './text.schema';

describe('text', () => {
  it('takes any well-formed text, emoji included', () => {
    for (const s of ['', 'room-1', 'é', '💩', 'a\tb\nc']) expect(text.safeParse(s).success).toBe(true);
  });

  it('refuses a NUL anywhere and an unpaired surrogate, which Postgres cannot store', () => {
    for (const s of ['\u0000', 'a\u0000b', 'ab\u0000', '\ud800', 'a\udc00b', '💩'.slice(0, 1)]) expect(text.safeParse(s).success).toBe(false);
  });

  it('keeps its check when narrowed, and documents it as a pattern', () => {
    expect(text.min(1).max(10).safeParse('a\u0000').success).toBe(false);
    expect(z.url().check(noNul).safeParse('https://chat.example/\u0000').success).toBe(false);
    expect(z.toJSONSchema(text.max(10))).toMatchObject({ maxLength: 10, pattern: expect.any(String) });
  });
});
