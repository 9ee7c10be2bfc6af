import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { basicAuthMatches } from './basic-auth';

/** Operator-only endpoints: the same HTTP Basic credentials as the operators' Bull Board (ADMIN_USER / ADMIN_PASSWORD). */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (basicAuthMatches(req.headers.authorization, { user: this.deps.config.ADMIN_USER, password: this.deps.config.ADMIN_PASSWORD })) return true;
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Basic realm="airlock-admin"');
    throw new ApiError(401, 'unauthorized', 'Operator credentials required.');
  }
}
