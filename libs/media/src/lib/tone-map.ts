/**
 * HDR (PQ or HLG, BT.2020) to SDR (BT.709) for SDR rungs of HDR sources: linearise at a
 * 100-nit reference white, convert primaries, compress highlights with Hable's curve
 * (desaturation off, so bright colours keep their hue), then apply BT.709's transfer in TV
 * range. zscale reads the source transfer from the decoded frames' colour tags, so the same
 * chain serves PQ and HLG. Runs after scaling: the maths is per pixel, fewer pixels is cheaper.
 */
export const TONE_MAP_TO_SDR: readonly string[] = [
  'zscale=transfer=linear:npl=100',
  'format=gbrpf32le',
  'zscale=primaries=bt709',
  'tonemap=tonemap=hable:desat=0',
  'zscale=transfer=bt709:matrix=bt709:range=tv',
];

/** BT.709 tags on tone-mapped output, so players do not guess the colour space. */
export const SDR_COLOR_ARGS: readonly string[] = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'];
