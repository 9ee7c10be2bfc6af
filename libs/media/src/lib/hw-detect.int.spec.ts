import { runProcess } from './process-runner';
import { compiledAccels, detectAccels } from './hw-detect';

describe('hardware detection against the real ffmpeg', () => {
  it('finds hardware encoders compiled in, but none usable without a GPU: the worker is a CPU worker', async () => {
    const { stdout } = await runProcess('ffmpeg', ['-hide_banner', '-encoders'], { timeoutMs: 15_000 });
    expect(compiledAccels(stdout)).toEqual(expect.arrayContaining(['nvenc', 'vaapi']));
    expect(await detectAccels()).toEqual(['cpu']);
  });
});
