import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { apiRoutes } from '../http/api-routes';
import { CurrentTenant, TenantGuard, TenantRef } from '../tenants/tenant.guard';
import { WebhooksService } from './webhooks.service';

@UseGuards(TenantGuard)
@Controller('v1')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Put('webhook-endpoint')
  setEndpoint(@CurrentTenant() tenant: TenantRef, @Body() body: unknown) {
    return this.webhooks.setEndpoint(tenant.id, apiRoutes.setWebhookEndpoint.body.parse(body));
  }

  @Get('webhook-endpoint')
  endpoint(@CurrentTenant() tenant: TenantRef) {
    return this.webhooks.endpoint(tenant.id);
  }

  @Delete('webhook-endpoint')
  clearEndpoint(@CurrentTenant() tenant: TenantRef) {
    return this.webhooks.clearEndpoint(tenant.id);
  }

  @Get('media/:id/webhooks')
  deliveries(@CurrentTenant() tenant: TenantRef, @Param() params: unknown) {
    return this.webhooks.deliveries(tenant.id, apiRoutes.webhookDeliveries.params.parse(params).id);
  }

  @Post('media/:id/webhooks/replay')
  @HttpCode(202)
  replay(@CurrentTenant() tenant: TenantRef, @Param() params: unknown, @Body() body: unknown) {
    const route = apiRoutes.replayWebhooks;
    return this.webhooks.replay(tenant.id, route.params.parse(params).id, route.body.parse(body ?? {}));
  }
}
