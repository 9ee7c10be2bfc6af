import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { JWK } from 'jose';
import { apiRoutes } from '../http/api-routes';
import { VerifierGrantService } from './verifier-grant.service';

/** Verifier-only; authenticated by the verifier's own signed token, not a tenant key or the fleet key. */
@Controller('v1/verifier-grants')
export class VerifierGrantsController {
  constructor(private readonly grants: VerifierGrantService) {}

  @Post()
  @HttpCode(200)
  exchange(@Body() body: unknown) {
    const req = apiRoutes.exchangeVerifierGrant.body.parse(body);
    return this.grants.exchange(req.token, req.ephemeralPublicJwk as JWK);
  }
}
