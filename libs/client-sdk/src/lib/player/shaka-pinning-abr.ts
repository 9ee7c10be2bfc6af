import type shakaNs from 'shaka-player/dist/shaka-player.dash-es2021.js';
import { findRung } from './rendition-names';

type AbrManager = shakaNs.extern.AbrManager;
type Variant = shakaNs.extern.Variant;

/**
 * shaka's own ABR manager, except that while a rung is pinned its variant is the one chosen,
 * the very first choice included. shaka 5.2 cannot be told before streaming starts: a
 * selectVariantTrack or a configure() in its 'streaming' event fails the load (it reads the
 * not-yet-active variant, or finds the variants "unchanged" and chooses none). Every other call
 * goes to the wrapped manager. With ABR disabled while pinned, shaka asks only for the choices
 * it must make (the first, and after a restriction).
 */
export function pinningAbr(inner: AbrManager, pinned: () => string | undefined): AbrManager {
  let variants: Variant[] = [];
  const pinnedVariant = (): Variant | undefined => {
    const name = pinned();
    if (name === undefined) return undefined;
    const i = findRung(
      variants.map((v) => ({ name: v.video?.originalId ?? undefined, height: v.video?.height ?? undefined })),
      name,
    );
    return i < 0 ? undefined : variants[i];
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'setVariants')
        return (v: Variant[], isLowLatency: boolean) => {
          variants = v;
          return target.setVariants(v, isLowLatency);
        };
      if (prop === 'chooseVariant') return (preferFastSwitching?: boolean) => pinnedVariant() ?? target.chooseVariant(preferFastSwitching);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
