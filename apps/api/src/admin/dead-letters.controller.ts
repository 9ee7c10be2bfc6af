import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeadLettersService } from './dead-letters.service';
import { OperatorGuard } from './operator.guard';

@ApiTags('admin')
@ApiBasicAuth()
@UseGuards(OperatorGuard)
@Controller('admin/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Post(':jobId/redrive')
  @HttpCode(202)
  @ApiOperation({ summary: "Operators: re-drive the media a dead letter belongs to (as the tenant's re-drive) and remove the dead letter" })
  redrive(@Param('jobId') jobId: string) {
    return this.deadLetters.redrive(jobId);
  }
}
