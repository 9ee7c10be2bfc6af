import { z } from 'zod';

/**
 * No NUL character and no unpaired surrogate (half of a UTF-16 pair, which JSON can carry as
 * `\ud800` but UTF-8 cannot encode). Postgres text can hold neither (an insert, or even a
 * lookup with one, fails), so every string the api takes from outside is checked at the edge,
 * as a 400 naming the field, instead of surfacing as a database error.
 */
export const noNul = z.regex(
  // eslint-disable-next-line no-control-regex -- the point is to name the control character
  /^(?:[^\u0000\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/,
  'must be text without NUL characters or unpaired surrogates',
);

/** Every free-form string the api takes from outside; narrow it at the use: `text.min(1).max(200)`. */
export const text = z.string().check(noNul);
