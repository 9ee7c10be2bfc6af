import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { apiRoutes } from '../http/api-routes';
import { DeadLettersService } from './dead-letters.service';
import { OperatorGuard } from './operator.guard';

@UseGuards(OperatorGuard)
@Controller('admin/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Post(':jobId/redrive')
  @HttpCode(202)
  redrive(@Param() params: unknown) {
    return this.deadLetters.redrive(apiRoutes.redriveDeadLetter.params.parse(params).jobId);
  }
}
