import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { createMediaSchema, listMediaQuerySchema } from '@airlock/contracts';
import { CurrentTenant, TenantGuard, TenantRef } from '../tenants/tenant.guard';
import { MediaService } from './media.service';

const idempotencyKeySchema = z.string().min(1).max(200).optional();

/** The longest a GET holds its answer for a change (RFC 7240 `Prefer: wait=<seconds>`). */
const MAX_WAIT_SEC = 30;

function waitSecOf(prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait=(\d+)/i.exec(prefer ?? '');
  return match ? Math.min(MAX_WAIT_SEC, Number(match[1])) : 0;
}

@ApiTags('media')
@ApiBearerAuth()
@UseGuards(TenantGuard)
@Controller('v1/media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post()
  @ApiOperation({ summary: 'Create a media and get a presigned upload URL' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiBody({ schema: z.toJSONSchema(createMediaSchema) as object })
  create(@CurrentTenant() tenant: TenantRef, @Body() body: unknown, @Headers('idempotency-key') key?: string) {
    return this.media.create(tenant.id, createMediaSchema.parse(body), idempotencyKeySchema.parse(key));
  }

  @Get()
  @ApiOperation({ summary: "The tenant's media, newest first (ids and states only), optionally for one room" })
  @ApiQuery({ name: 'roomId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(@CurrentTenant() tenant: TenantRef, @Query() query: unknown) {
    return this.media.list(tenant.id, listMediaQuerySchema.parse(query));
  }

  @Post(':id/redrive')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-drive a media in failed_retryable: done tasks stay done, failed ones run again' })
  redrive(@CurrentTenant() tenant: TenantRef, @Param('id') id: string) {
    return this.media.redrive(tenant.id, id);
  }

  @Post(':id/upload-complete')
  @HttpCode(202)
  @ApiOperation({ summary: 'Tell the pipeline the upload finished; starts processing' })
  uploadComplete(@CurrentTenant() tenant: TenantRef, @Param('id') id: string) {
    return this.media.uploadComplete(tenant.id, id);
  }

  @Get(':id')
  @ApiOperation({ summary: 'State, progress, renditions and manifest URLs when ready; with If-None-Match and Prefer: wait=N, held until it changes (long poll), 304 if it did not' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of the view the caller has' })
  @ApiHeader({ name: 'Prefer', required: false, description: `wait=<seconds> (at most ${MAX_WAIT_SEC}): hold the answer until the view differs from If-None-Match` })
  async get(
    @CurrentTenant() tenant: TenantRef,
    @Param('id') id: string,
    @Res() res: Response,
    @Headers('if-none-match') seenEtag?: string,
    @Headers('prefer') prefer?: string,
  ) {
    const waitSec = waitSecOf(prefer);
    const { view, etag } = await this.media.viewWhenChanged(tenant.id, id, seenEtag, waitSec * 1000);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (waitSec > 0) res.setHeader('Preference-Applied', `wait=${waitSec}`);
    if (etag === seenEtag) res.status(304).end();
    else res.json(view);
  }

  @Get(':id/timeline')
  @ApiOperation({ summary: 'Explain timeline for support: states, decisions, reasons; never content' })
  timeline(@CurrentTenant() tenant: TenantRef, @Param('id') id: string) {
    return this.media.timeline(tenant.id, id);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete the media: cancels processing and purges every object' })
  remove(@CurrentTenant() tenant: TenantRef, @Param('id') id: string) {
    return this.media.remove(tenant.id, id);
  }
}
