import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_DEPS, ApiDeps } from '../api.deps';

@ApiTags('keys')
@Controller('v1/keys')
export class KeysController {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  /** Public: senders wrap each media's content key to this key before uploading ciphertext. */
  @Get()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'JWKS of the pipeline key (X25519, ECDH-ES+A256KW)' })
  jwks() {
    return { keys: [this.deps.pipelineKey.publicJwk] };
  }
}
