import { z } from 'zod';
import { PROFILE_NAMES } from './profiles';

const ALL_PROFILES = [...PROFILE_NAMES];

/**
 * A tenant's media policy, validated at boot and snapshotted onto each job, so a job runs under
 * the rules it started with. The encrypted path is the only path: the switches that would open
 * a plaintext mode accept only their safe value.
 */
export const mediaPolicySchema = z
  .object({
    plaintext_allowed: z.literal(false, { message: 'plaintext mode is not supported: the encrypted path is the only path' }).default(false),
    recipient_decrypts_outputs: z.literal(true, { message: 'outputs are always encrypted for recipients' }).default(true),
    output_requires_hash: z.literal(true, { message: 'the verifier always checks output hashes' }).default(true),
    /** Deep checks (the verifier takes its own grant and decodes outputs); off unless a tenant opts in. */
    verifier_may_decrypt: z.boolean().default(false),
    /**
     * The fraction of the ladder's segment x rendition tasks a second, independent worker does
     * again; the verifier compares the two (encodes are deterministic). Needs two workers, and a
     * third to settle a disagreement.
     */
    verify_duplicate_fraction: z.number().min(0).max(1).default(0),
    /** Lifetime of a worker attempt's job token and grant. */
    worker_key_ttl_seconds: z.number().int().min(30).max(3600).default(600),
    source_delete_after_success: z.boolean().default(true),
    /** How long a ready media's outputs are kept for recipients to fetch; then it expires and is purged. */
    retention_sec: z.number().int().min(60).max(365 * 24 * 3600).default(30 * 24 * 3600),
    allowed_profiles: z.array(z.enum(ALL_PROFILES as [string, ...string[]])).min(1).default(ALL_PROFILES),
    max_duration_sec: z.number().positive().default(3600),
    max_size_bytes: z.number().int().positive().default(4 * 1024 ** 3),
    /** Width x height of the (displayed) video; also the guard against decompression-bomb headers. */
    max_pixels: z.number().int().positive().default(3840 * 2160),
    quotas: z
      .object({
        /** Media in flight (created .. verifying) per tenant and per room. */
        max_active_media_per_tenant: z.number().int().positive().default(200),
        max_active_media_per_room: z.number().int().positive().default(50),
      })
      .strict()
      .default({ max_active_media_per_tenant: 200, max_active_media_per_room: 50 }),
  })
  .strict();
export type MediaPolicy = z.infer<typeof mediaPolicySchema>;

export const DEFAULT_MEDIA_POLICY: MediaPolicy = mediaPolicySchema.parse({});

/** `{ default?: {...}, tenants?: { id: {...} } }`; a tenant's entry overrides the default field by field. */
export const tenantPoliciesSchema = z
  .object({
    default: mediaPolicySchema.partial().default({}),
    tenants: z.record(z.string(), mediaPolicySchema.partial()).default({}),
  })
  .strict();

export type PolicyLookup = (tenantId: string) => MediaPolicy;

export function policyLookup(raw: unknown): PolicyLookup {
  const parsed = tenantPoliciesSchema.parse(raw ?? {});
  const base = mediaPolicySchema.parse(parsed.default);
  const byTenant = new Map(Object.entries(parsed.tenants).map(([id, p]) => [id, mediaPolicySchema.parse({ ...base, ...p })]));
  return (tenantId) => byTenant.get(tenantId) ?? base;
}

/** Reasons a probed source breaks the policy (terminal, before any transcode is spent). */
export function policyViolation(policy: MediaPolicy, probe: { durationSec: number; pixels?: number }): { code: 'too_long' | 'too_many_pixels'; detail: string } | undefined {
  if (probe.durationSec > policy.max_duration_sec) return { code: 'too_long', detail: `limit ${policy.max_duration_sec} s` };
  if (probe.pixels !== undefined && probe.pixels > policy.max_pixels) return { code: 'too_many_pixels', detail: `limit ${policy.max_pixels} pixels` };
  return undefined;
}
