import { resolveWorker } from './worker-class';

const BOTH = ['short', 'long'] as const;
const never = () => Promise.reject(new Error('detection must not run for a declared class'));

describe('resolveWorker', () => {
  it('detects when nothing is declared, and takes the first hardware class found', async () => {
    const w = await resolveWorker({ WORKER_ACCEL: 'auto', WORKER_LANES: [...BOTH] }, () => Promise.resolve(['cpu', 'nvenc']));
    expect(w.workerClass).toBe('nvenc');
    expect(w.encodePaths.map((p) => `${p.accel}/${p.decode}`)).toEqual(['nvenc/hw', 'nvenc/sw', 'cpu/sw']);
    expect(w.lanes).toEqual(['short', 'long', 'gpu']);
  });

  it('is cpu when detection finds no hardware, and serves no gpu lane unless configured', async () => {
    const w = await resolveWorker({ WORKER_ACCEL: 'auto', WORKER_LANES: [...BOTH] }, () => Promise.resolve(['cpu']));
    expect(w).toMatchObject({ workerClass: 'cpu', lanes: ['short', 'long'] });
    const opted = await resolveWorker({ WORKER_ACCEL: 'auto', WORKER_LANES: ['short', 'gpu'] }, () => Promise.resolve(['cpu']));
    expect(opted.lanes).toEqual(['short', 'gpu']);
  });

  it('takes a declared class without detecting, falling back to the CPU', async () => {
    const w = await resolveWorker({ WORKER_CLASS: 'qsv', WORKER_ACCEL: 'auto', WORKER_LANES: ['long'] }, never);
    expect(w.workerClass).toBe('qsv');
    expect(w.encodePaths.map((p) => p.accel)).toEqual(['qsv', 'qsv', 'cpu']);
    expect(w.lanes).toEqual(['long', 'gpu']);
  });

  it('reads the class from WORKER_ACCEL when WORKER_CLASS is unset', async () => {
    expect((await resolveWorker({ WORKER_ACCEL: 'vaapi', WORKER_LANES: [...BOTH] }, never)).workerClass).toBe('vaapi');
    expect((await resolveWorker({ WORKER_ACCEL: 'cpu', WORKER_LANES: [...BOTH] }, never)).encodePaths.map((p) => p.accel)).toEqual(['cpu']);
  });

  it('declares the null class without detecting or adding the gpu lane', async () => {
    const w = await resolveWorker({ WORKER_CLASS: 'null', WORKER_ACCEL: 'auto', WORKER_LANES: [...BOTH] }, never);
    expect(w).toMatchObject({ workerClass: 'null', lanes: ['short', 'long'] });
  });
});
