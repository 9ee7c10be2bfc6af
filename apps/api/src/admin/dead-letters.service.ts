import { Inject, Injectable } from '@nestjs/common';
import { MediaState } from '@airlock/domain';
import { API_DEPS, ApiDeps } from '../api.deps';
import { ApiError } from '../http/api-error';
import { MediaService } from '../media/media.service';

export interface DeadLetterRedrive {
  readonly deadLetterId: string;
  readonly mediaId: string;
  readonly state: MediaState;
}

/** What operators do with final failures: re-drive the media a dead letter belongs to. */
@Injectable()
export class DeadLettersService {
  constructor(
    @Inject(API_DEPS) private readonly deps: ApiDeps,
    private readonly media: MediaService,
  ) {}

  /**
   * The tenant's re-drive, on the operator's word: the media goes back to queued and its job
   * resumes (done tasks stay done). The dead letter is removed once the re-drive took; a refused
   * re-drive leaves it where it was.
   */
  async redrive(deadLetterId: string): Promise<DeadLetterRedrive> {
    const entry = await this.deps.queues.deadLetterEntry(deadLetterId);
    if (!entry) throw new ApiError(404, 'not_found', 'No such dead letter.');
    const mediaId = entry.ids['mediaId'];
    if (!mediaId) throw new ApiError(409, 'not_redrivable', `The dead letter (${entry.name} on ${entry.queue}) belongs to no media; remove it on the board.`);
    const media = await this.deps.db.media.findUnique({ where: { id: mediaId }, select: { tenantId: true } });
    if (!media) throw new ApiError(409, 'not_redrivable', 'The media of this dead letter no longer exists; remove it on the board.');
    const { state } = await this.media.redrive(media.tenantId, mediaId);
    await this.deps.queues.removeDeadLetter(deadLetterId);
    return { deadLetterId, mediaId, state };
  }
}
