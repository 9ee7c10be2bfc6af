import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { webhookEndpointRequestSchema, webhookReplayRequestSchema } from '@airlock/contracts';
import { CurrentTenant, TenantGuard, TenantRef } from '../tenants/tenant.guard';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(TenantGuard)
@Controller('v1')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Put('webhook-endpoint')
  @ApiOperation({ summary: 'Set where events are delivered; answers a fresh signing secret, shown this once' })
  @ApiBody({ schema: z.toJSONSchema(webhookEndpointRequestSchema) as object })
  setEndpoint(@CurrentTenant() tenant: TenantRef, @Body() body: unknown) {
    return this.webhooks.setEndpoint(tenant.id, webhookEndpointRequestSchema.parse(body));
  }

  @Get('webhook-endpoint')
  @ApiOperation({ summary: 'The webhook endpoint, if any (never the secret)' })
  endpoint(@CurrentTenant() tenant: TenantRef) {
    return this.webhooks.endpoint(tenant.id);
  }

  @Delete('webhook-endpoint')
  @ApiOperation({ summary: 'Stop deliveries; events stay pending until an endpoint is set again' })
  clearEndpoint(@CurrentTenant() tenant: TenantRef) {
    return this.webhooks.clearEndpoint(tenant.id);
  }

  @Get('media/:id/webhooks')
  @ApiOperation({ summary: "The media's events and their delivery state" })
  deliveries(@CurrentTenant() tenant: TenantRef, @Param('id') id: string) {
    return this.webhooks.deliveries(tenant.id, id);
  }

  @Post('media/:id/webhooks/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the media events again from fromSeq (all by default), same ids and seqs' })
  @ApiBody({ schema: z.toJSONSchema(webhookReplayRequestSchema) as object, required: false })
  replay(@CurrentTenant() tenant: TenantRef, @Param('id') id: string, @Body() body: unknown) {
    return this.webhooks.replay(tenant.id, id, webhookReplayRequestSchema.parse(body ?? {}));
  }
}
