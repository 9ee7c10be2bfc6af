import type shakaNs from 'shaka-player/dist/shaka-player.dash-es2021.js';
import { pinningAbr } from './shaka-pinning-abr';

type Variant = shakaNs.extern.Variant;
type AbrManager = shakaNs.extern.AbrManager;

const variant = (name: string, height: number) => ({ id: height, bandwidth: height * 1000, video: { originalId: name, height } }) as unknown as Variant;
const LADDER = [variant('240p', 240), variant('1080p', 1080), variant('1080p_hdr', 1080)];

/** shaka's own manager, reduced to what the wrapper touches: it always picks the first variant. */
function innerManager() {
  const calls: string[] = [];
  let variants: Variant[] = [];
  const inner = {
    setVariants: (v: Variant[]) => ((variants = v), calls.push('setVariants'), true),
    chooseVariant: () => (calls.push('chooseVariant'), variants[0]),
    enable: () => calls.push('enable'),
    getBandwidthEstimate: () => 42,
  };
  return { inner: inner as unknown as AbrManager, calls };
}

describe('pinningAbr', () => {
  it('chooses the pinned rung by name, the very first choice included', () => {
    const { inner, calls } = innerManager();
    let pinned: string | undefined = '1080p_hdr';
    const abr = pinningAbr(inner, () => pinned);
    expect(abr.setVariants(LADDER, false)).toBe(true);
    expect(abr.chooseVariant()).toBe(LADDER[2]);
    pinned = '1080p';
    expect(abr.chooseVariant()).toBe(LADDER[1]);
    expect(calls).toEqual(['setVariants']);
  });

  it("leaves every choice to shaka's manager when nothing (or nothing it knows) is pinned, and passes other calls through", () => {
    const { inner, calls } = innerManager();
    const pins: (string | undefined)[] = [undefined, '720p'];
    const abr = pinningAbr(inner, () => pins[0]);
    abr.setVariants(LADDER, false);
    expect(abr.chooseVariant()).toBe(LADDER[0]);
    pins.shift();
    expect(abr.chooseVariant()).toBe(LADDER[0]);
    abr.enable();
    expect(abr.getBandwidthEstimate()).toBe(42);
    expect(calls).toEqual(['setVariants', 'chooseVariant', 'chooseVariant', 'enable']);
  });
});
