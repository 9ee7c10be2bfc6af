import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';

export const READINESS = Symbol('READINESS');

/** What a service reports as ready: each dependency check returns true when usable. */
export interface Readiness {
  checks(): Promise<Record<string, boolean>>;
  /** False once shutdown has begun, so load balancers drain first. */
  accepting(): boolean;
}

@Controller()
export class HealthController {
  constructor(@Inject(READINESS) private readonly readiness: Readiness) {}

  /** Liveness: the process answers. */
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  /** Readiness: dependencies reachable and not shutting down. */
  @Get('ready')
  async ready() {
    const checks = await this.readiness.checks().catch(() => ({ checks: false }));
    const ok = this.readiness.accepting() && Object.values(checks).every(Boolean);
    const body = { status: ok ? 'ready' : 'not_ready', accepting: this.readiness.accepting(), checks };
    if (!ok) throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
