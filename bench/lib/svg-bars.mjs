// A tiny horizontal bar chart as a standalone SVG string (no chart dependency).
// groups: [{ label, bars: [{ label, value }] }]: one block of bars per group, one colour per bar label.
//   barChart({ title: 'CPU-seconds', unit: 's', groups: [{ label: 'pipeline', bars: [{ label: 'cpu', value: 123 }] }] })

const PALETTE = ['#3b6ea8', '#e08a2c', '#4f9a5b', '#b44b4b', '#7a5ea8', '#6b6b6b'];

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceMax(v) {
  if (!(v > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function barChart({ title, unit = '', groups, width = 760, subtitle }) {
  const seriesNames = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const colour = (name) => PALETTE[seriesNames.indexOf(name) % PALETTE.length];
  const labelW = 190;
  const valueW = 80;
  const barH = 16;
  const gap = 4;
  const groupGap = 12;
  const top = subtitle ? 54 : 40;
  const legendH = seriesNames.length > 1 ? 24 : 0;
  const plotW = width - labelW - valueW - 20;
  const max = niceMax(Math.max(0, ...groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite)));
  const parts = [];
  let y = top + legendH;
  for (const g of groups) {
    const blockH = g.bars.length * (barH + gap) - gap;
    parts.push(`<text x="${labelW - 8}" y="${y + blockH / 2 + 4}" text-anchor="end" font-size="12">${escape(g.label)}</text>`);
    for (const b of g.bars) {
      const known = Number.isFinite(b.value);
      const w = known && b.value > 0 ? Math.max(1, (b.value / max) * plotW) : 0;
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colour(b.label)}"><title>${escape(`${g.label} ${b.label}: ${known ? fmt(b.value) : 'n/a'} ${unit}`)}</title></rect>`);
      const text = known ? `${fmt(b.value)}${unit ? ` ${unit}` : ''}` : 'n/a';
      parts.push(`<text x="${labelW + w + 4}" y="${y + barH - 4}" font-size="11">${escape(text)}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 20;
  const axis = [];
  for (let i = 0; i <= 4; i++) {
    const x = labelW + (plotW * i) / 4;
    axis.push(`<line x1="${x}" y1="${top + legendH - 4}" x2="${x}" y2="${y - groupGap}" stroke="#ddd"/>`);
    axis.push(`<text x="${x}" y="${y + 4}" text-anchor="middle" font-size="10" fill="#666">${fmt((max * i) / 4)}</text>`);
  }
  const legend =
    seriesNames.length > 1
      ? seriesNames
          .map((name, i) => `<rect x="${labelW + i * 150}" y="${top}" width="10" height="10" fill="${colour(name)}"/><text x="${labelW + i * 150 + 14}" y="${top + 9}" font-size="11">${escape(name)}</text>`)
          .join('')
      : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    subtitle ? `<text x="10" y="40" font-size="11" fill="#555">${escape(subtitle)}</text>` : '',
    ...axis,
    legend,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
