import { z } from 'zod';

/** POST /admin/dead-letters/:jobId/redrive: the media the dead letter belonged to, re-driven. */
export const deadLetterRedriveSchema = z.object({ deadLetterId: z.string(), mediaId: z.string(), state: z.string() }).meta({ id: 'DeadLetterRedrive' });

/** GET /admin/workers/quarantined */
export const quarantinedWorkersSchema = z
  .object({
    workers: z.array(z.object({ workerId: z.string(), reason: z.string(), attemptId: z.string().nullable(), mediaId: z.string().nullable(), since: z.string() })),
  })
  .meta({ id: 'QuarantinedWorkers' });
export type QuarantinedWorkers = z.infer<typeof quarantinedWorkersSchema>;

/** DELETE /admin/workers/:workerId/quarantine */
export const quarantineClearedSchema = z.object({ workerId: z.string(), cleared: z.literal(true) }).meta({ id: 'QuarantineCleared' });
export type QuarantineCleared = z.infer<typeof quarantineClearedSchema>;
