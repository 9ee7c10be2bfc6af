import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../http/api-error';
import { API_DEPS, ApiDeps } from '../api.deps';
import { hashApiKey } from './api-key';

export interface TenantRef {
  readonly id: string;
}

/** `Authorization: Bearer <api key>` -> the tenant; every media query is then scoped to it. */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { tenant?: TenantRef }>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError(401, 'unauthorized', 'Send the tenant API key as `Authorization: Bearer <key>`.');
    const tenant = await this.deps.db.tenant.findUnique({ where: { apiKeyHash: hashApiKey(match[1]), disabledAt: null }, select: { id: true } });
    if (!tenant) throw new ApiError(401, 'unauthorized', 'Unknown API key.');
    req.tenant = tenant;
    return true;
  }
}

export const CurrentTenant = createParamDecorator((_: unknown, context: ExecutionContext): TenantRef => {
  const req = context.switchToHttp().getRequest<{ tenant: TenantRef }>();
  return req.tenant;
});
