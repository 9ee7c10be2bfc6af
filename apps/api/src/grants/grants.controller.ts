import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JWK } from 'jose';
import { z } from 'zod';
import { grantRequestSchema, heartbeatRequestSchema, releaseRequestSchema, uploadRequestSchema } from '@airlock/contracts';
import { GrantService } from './grant.service';

/** Worker-only endpoints; authenticated by the job token itself (EdDSA JWT), not a tenant key. */
@ApiTags('grants')
@Controller('v1/grants')
export class GrantsController {
  constructor(private readonly grants: GrantService) {}

  @Post()
  @ApiOperation({ summary: 'Exchange a job token and an ephemeral public key for a grant' })
  @ApiBody({ schema: z.toJSONSchema(grantRequestSchema) as object })
  exchange(@Body() body: unknown) {
    const req = grantRequestSchema.parse(body);
    return this.grants.exchange(req.token, req.ephemeralPublicJwk as JWK, req.queueJob);
  }

  @Post(':id/uploads')
  @ApiOperation({ summary: 'Presigned PUTs for exactly the output keys the grant covers' })
  @ApiBody({ schema: z.toJSONSchema(uploadRequestSchema) as object })
  uploads(@Param('id') id: string, @Body() body: unknown) {
    const req = uploadRequestSchema.parse(body);
    return this.grants.uploads(id, req.token, req.files);
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  @ApiOperation({ summary: 'A running attempt is alive; the answer says whether it may go on' })
  @ApiBody({ schema: z.toJSONSchema(heartbeatRequestSchema) as object })
  heartbeat(@Param('id') id: string, @Body() body: unknown) {
    return this.grants.heartbeat(id, heartbeatRequestSchema.parse(body).token);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release a grant when the attempt ends, with its outcome' })
  @ApiBody({ schema: z.toJSONSchema(releaseRequestSchema) as object })
  release(@Param('id') id: string, @Body() body: unknown) {
    const req = releaseRequestSchema.parse(body);
    return this.grants.release(id, req.token, req.outcome);
  }
}
