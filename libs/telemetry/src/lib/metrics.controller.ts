import { Controller, Get, Header } from '@nestjs/common';
import { metricsRegistry, renderMetrics } from './metrics';

/** Prometheus scrape endpoint, mounted next to /health and /ready by the shared bootstrap. */
@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return renderMetrics();
  }
}
