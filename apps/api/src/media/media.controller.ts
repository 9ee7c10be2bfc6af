import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { apiRoutes, MAX_WAIT_SEC } from '../http/api-routes';
import { CurrentTenant, TenantGuard, TenantRef } from '../tenants/tenant.guard';
import { MediaService } from './media.service';

function waitSecOf(prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait=(\d+)/i.exec(prefer ?? '');
  return match ? Math.min(MAX_WAIT_SEC, Number(match[1])) : 0;
}

@UseGuards(TenantGuard)
@Controller('v1/media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post()
  create(@CurrentTenant() tenant: TenantRef, @Body() body: unknown, @Headers('idempotency-key') key?: string) {
    const route = apiRoutes.createMedia;
    return this.media.create(tenant.id, route.body.parse(body), route.headers.parse({ 'idempotency-key': key })['idempotency-key']);
  }

  @Get()
  list(@CurrentTenant() tenant: TenantRef, @Query() query: unknown) {
    return this.media.list(tenant.id, apiRoutes.listMedia.query.parse(query));
  }

  @Post(':id/redrive')
  @HttpCode(202)
  redrive(@CurrentTenant() tenant: TenantRef, @Param() params: unknown) {
    return this.media.redrive(tenant.id, apiRoutes.redriveMedia.params.parse(params).id);
  }

  @Post(':id/upload-complete')
  @HttpCode(202)
  uploadComplete(@CurrentTenant() tenant: TenantRef, @Param() params: unknown) {
    return this.media.uploadComplete(tenant.id, apiRoutes.completeUpload.params.parse(params).id);
  }

  @Get(':id')
  async get(
    @CurrentTenant() tenant: TenantRef,
    @Param() params: unknown,
    @Res() res: Response,
    @Headers('if-none-match') seenEtag?: string,
    @Headers('prefer') prefer?: string,
  ) {
    const { id } = apiRoutes.getMedia.params.parse(params);
    const waitSec = waitSecOf(prefer);
    const { view, etag } = await this.media.viewWhenChanged(tenant.id, id, seenEtag, waitSec * 1000);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (waitSec > 0) res.setHeader('Preference-Applied', `wait=${waitSec}`);
    if (etag === seenEtag) res.status(304).end();
    else res.json(view);
  }

  @Get(':id/timeline')
  timeline(@CurrentTenant() tenant: TenantRef, @Param() params: unknown) {
    return this.media.timeline(tenant.id, apiRoutes.mediaTimeline.params.parse(params).id);
  }

  @Delete(':id')
  @HttpCode(202)
  remove(@CurrentTenant() tenant: TenantRef, @Param() params: unknown) {
    return this.media.remove(tenant.id, apiRoutes.deleteMedia.params.parse(params).id);
  }
}
