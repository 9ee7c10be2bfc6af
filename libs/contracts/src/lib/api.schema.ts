import { z } from 'zod';

export const createMediaSchema = z.object({
  messageId: z.string().min(1).max(200).optional(),
  roomId: z.string().min(1).max(200).optional(),
  profiles: z.array(z.string().min(1).max(40)).min(1).max(16).optional(),
  source: z.object({
    sizeBytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex characters'),
    contentType: z.string().max(100).optional(),
  }),
});
export type CreateMediaRequest = z.infer<typeof createMediaSchema>;

export interface UploadTarget {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

export interface CreateMediaResponse {
  id: string;
  state: string;
  upload: UploadTarget;
}

export interface MediaView {
  id: string;
  state: string;
  recipientStatus: string;
  progress: { done: number; total: number };
  probe?: { durationClass: string | null; width?: number; height?: number; hasAudio?: boolean };
  renditions: { name: string; ready: boolean }[];
  manifests?: { hls: string; dash: string };
  failure?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
}

export interface ApiError {
  error: { code: string; message: string; details?: unknown };
}
