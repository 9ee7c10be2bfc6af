import { Controller, Delete, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { OperatorGuard } from './operator.guard';

/**
 * Workers the verifier caught (refused output, or the minority of a duplicated encode) get no
 * grants until an operator has looked and cleared them here.
 */
@ApiTags('admin')
@ApiBasicAuth()
@UseGuards(OperatorGuard)
@Controller('admin/workers')
export class QuarantineController {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  @Get('quarantined')
  @ApiOperation({ summary: 'Operators: workers in quarantine, with the reason and the attempt that put them there' })
  async quarantined() {
    const rows = await this.deps.db.workerQuarantine.findMany({ where: { clearedAt: null }, orderBy: { createdAt: 'asc' } });
    return { workers: rows.map((q) => ({ workerId: q.workerId, reason: q.reason, attemptId: q.attemptId, mediaId: q.mediaId, since: q.createdAt.toISOString() })) };
  }

  @Delete(':workerId/quarantine')
  @ApiOperation({ summary: 'Operators: clear a worker; it receives grants again at its next request' })
  async clear(@Param('workerId') workerId: string) {
    const { count } = await this.deps.db.workerQuarantine.updateMany({ where: { workerId, clearedAt: null }, data: { clearedAt: new Date(), clearedBy: this.deps.config.ADMIN_USER } });
    if (count === 0) throw new ApiError(404, 'not_found', `Worker ${workerId} is not in quarantine.`);
    return { workerId, cleared: true };
  }
}
