// One media through the real sender path: the built CLI's `transcode` (seal, create, upload
// ciphertext, upload-complete, long-poll until ready). The one way the benchmarks send
// media and read time to preview and to ready (bench/ready-latency.mjs, first-playable, ladder, memory).
import { spawn } from 'node:child_process';
import { CLI } from './stack.mjs';

/**
 * Starts the CLI; returns { pid, done } where done resolves to
 * { mediaId, previewSec, readySec, renditions, stdout } (seconds after upload-complete, as the CLI prints them).
 */
export function startTranscode(file, { apiUrl, profiles, timeoutSec = 3600 } = {}) {
  const args = [CLI, 'transcode', file, '--timeout', String(timeoutSec), ...(apiUrl ? ['--api', apiUrl] : []), ...(profiles ? ['--profiles', profiles] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const mediaId = /^media ([0-9a-f-]{36}):/m.exec(stdout)?.[1];
      const ready = /^ready in ([\d.]+) s after upload-complete/m.exec(stdout);
      const preview = /^preview ready in ([\d.]+) s/m.exec(stdout);
      const renditions = /^renditions: ([^(\n]+)/m.exec(stdout);
      if (code !== 0 || !ready) {
        const err = new Error(`transcode ${file} exited ${code}: ${stderr.trim() || stdout.trim()}`);
        err.mediaId = mediaId;
        reject(err);
        return;
      }
      resolve({ mediaId, previewSec: preview ? Number(preview[1]) : undefined, readySec: Number(ready[1]), renditions: renditions?.[1].trim(), stdout });
    });
  });
  return { pid: child.pid, done };
}

export const transcode = (file, opts) => startTranscode(file, opts).done;
