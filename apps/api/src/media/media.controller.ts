import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { createMediaSchema, listMediaQuerySchema } from '@airlock/contracts';
import { CurrentTenant, TenantGuard, TenantRef } from '../tenants/tenant.guard';
import { MediaService } from './media.service';

const idempotencyKeySchema = z.string().min(1).max(200).optional();

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
  @ApiOperation({ summary: 'State, progress, renditions and manifest URLs when ready' })
  get(@CurrentTenant() tenant: TenantRef, @Param('id') id: string) {
    return this.media.view(tenant.id, id);
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
