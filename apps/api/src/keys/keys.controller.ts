import { Controller, Get, Header, Inject } from '@nestjs/common';
import { API_DEPS, ApiDeps } from '../api.deps';

@Controller('v1/keys')
export class KeysController {
  constructor(@Inject(API_DEPS) private readonly deps: ApiDeps) {}

  /** Public: senders wrap each media's content key to this key before uploading ciphertext. */
  @Get()
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return { keys: [this.deps.pipelineKey.publicJwk] };
  }
}
