import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import type { JWK } from 'jose';
import { apiRoutes } from '../http/api-routes';
import { GrantService } from './grant.service';

/** Worker-only endpoints; authenticated by the job token itself (EdDSA JWT), not a tenant key. */
@Controller('v1/grants')
export class GrantsController {
  constructor(private readonly grants: GrantService) {}

  @Post()
  exchange(@Body() body: unknown) {
    const req = apiRoutes.exchangeGrant.body.parse(body);
    return this.grants.exchange(req.token, req.ephemeralPublicJwk as JWK, req.queueJob);
  }

  @Post(':id/uploads')
  uploads(@Param() params: unknown, @Body() body: unknown) {
    const route = apiRoutes.grantUploads;
    const req = route.body.parse(body);
    return this.grants.uploads(route.params.parse(params).id, req.token, req.files);
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  heartbeat(@Param() params: unknown, @Body() body: unknown) {
    const route = apiRoutes.grantHeartbeat;
    const { token } = route.body.parse(body);
    return this.grants.heartbeat(route.params.parse(params).id, token);
  }

  @Delete(':id')
  @HttpCode(200)
  release(@Param() params: unknown, @Body() body: unknown) {
    const route = apiRoutes.releaseGrant;
    const req = route.body.parse(body);
    return this.grants.release(route.params.parse(params).id, req.token, req.outcome);
  }
}
