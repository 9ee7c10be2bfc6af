import { DeadLettersController } from './admin/dead-letters.controller';
import { DeadLettersService } from './admin/dead-letters.service';
import { OperatorGuard } from './admin/operator.guard';
import { QuarantineController } from './admin/quarantine.controller';
import { GrantService } from './grants/grant.service';
import { GrantsController } from './grants/grants.controller';
import { VerifierGrantService } from './grants/verifier-grant.service';
import { VerifierGrantsController } from './grants/verifier-grants.controller';
import { KeysController } from './keys/keys.controller';
import { MediaController } from './media/media.controller';
import { MediaService } from './media/media.service';
import { TenantGuard } from './tenants/tenant.guard';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

/** Every controller the api serves: main.ts mounts these, and the route tests check each against the OpenAPI route table. */
export const API_CONTROLLERS = [MediaController, KeysController, GrantsController, VerifierGrantsController, WebhooksController, DeadLettersController, QuarantineController];

/** Their services and guards (the adapters come from API_DEPS). */
export const API_PROVIDERS = [MediaService, GrantService, VerifierGrantService, WebhooksService, DeadLettersService, TenantGuard, OperatorGuard];
