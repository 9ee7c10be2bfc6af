import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JWK } from 'jose';
import { z } from 'zod';
import { verifierGrantRequestSchema } from '@airlock/contracts';
import { VerifierGrantService } from './verifier-grant.service';

/** Verifier-only; authenticated by the verifier's own signed token, not a tenant key or the fleet key. */
@ApiTags('grants')
@Controller('v1/verifier-grants')
export class VerifierGrantsController {
  constructor(private readonly grants: VerifierGrantService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: "Exchange the verifier's token and an ephemeral key for the media's output key (deep checks)" })
  @ApiBody({ schema: z.toJSONSchema(verifierGrantRequestSchema) as object })
  exchange(@Body() body: unknown) {
    const req = verifierGrantRequestSchema.parse(body);
    return this.grants.exchange(req.token, req.ephemeralPublicJwk as JWK);
  }
}
