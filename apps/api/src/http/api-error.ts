import { HttpException } from '@nestjs/common';

/** Every error the API returns: `{ error: { code, message, details } }` with the right status. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
  }
}

export const notFound = (what = 'media') => new ApiError(404, 'not_found', `No such ${what}.`);
