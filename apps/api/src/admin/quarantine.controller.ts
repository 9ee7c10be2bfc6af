import { Controller, Delete, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { QuarantineCleared, QuarantinedWorkers } from '@airlock/contracts';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { apiRoutes } from '../http/api-routes';
import { OperatorGuard } from './operator.guard';

/**
 * Workers the verifier caught (refused output, or the minority of a duplicated encode) get no
 * grants until an operator has looked and cleared them here.
 */
@UseGuards(OperatorGuard)
@Controller('admin/workers')
export class QuarantineController {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  @Get('quarantined')
  async quarantined(): Promise<QuarantinedWorkers> {
    const rows = await this.deps.db.workerQuarantine.findMany({ where: { clearedAt: null }, orderBy: { createdAt: 'asc' } });
    return { workers: rows.map((q) => ({ workerId: q.workerId, reason: q.reason, attemptId: q.attemptId, mediaId: q.mediaId, since: q.createdAt.toISOString() })) };
  }

  @Delete(':workerId/quarantine')
  async clear(@Param() params: unknown): Promise<QuarantineCleared> {
    const { workerId } = apiRoutes.clearQuarantine.params.parse(params);
    const { count } = await this.deps.db.workerQuarantine.updateMany({ where: { workerId, clearedAt: null }, data: { clearedAt: new Date(), clearedBy: this.deps.config.ADMIN_USER } });
    if (count === 0) throw new ApiError(404, 'not_found', `Worker ${workerId} is not in quarantine.`);
    return { workerId, cleared: true };
  }
}
