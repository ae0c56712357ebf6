import type { RefusalMetrics } from './evaluation.js';

/**
 * The threshold sweep as an SVG line chart: refusal precision, refusal recall, false refusals and
 * balanced accuracy against the threshold, with the configured thresholds marked.
 */
export function sweepSvg(sweep: RefusalMetrics[], marks: { label: string; threshold: number }[], title: string): string {
  const width = 760;
  const height = 440;
  const left = 60;
  const right = 170;
  const top = 40;
  const bottom = 50;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const [minX, maxX] = [sweep[0].threshold, sweep.at(-1)!.threshold];
  const x = (value: number) => left + ((value - minX) / (maxX - minX)) * plotWidth;
  const y = (value: number) => top + (1 - value) * plotHeight;
  const series: [string, string, (entry: RefusalMetrics) => number][] = [
    ['refusal precision', '#0969da', (entry) => entry.refusalPrecision],
    ['refusal recall', '#1a7f37', (entry) => entry.refusalRecall],
    ['false refusals', '#cf222e', (entry) => entry.falseRefusalRate],
    ['balanced accuracy', '#8250df', (entry) => entry.balancedAccuracy],
  ];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="24" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
  ];
  for (let tick = 0; tick <= 10; tick += 2) {
    const value = tick / 10;
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#eaeef2"/>`, `<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end">${value.toFixed(1)}</text>`);
  }
  for (let value = Math.ceil(minX * 10) / 10; value <= maxX + 1e-9; value += 0.1) {
    parts.push(`<text x="${x(value)}" y="${top + plotHeight + 18}" text-anchor="middle">${value.toFixed(1)}</text>`);
  }
  parts.push(`<text x="${left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">confidence threshold</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#8c959f"/>`);
  marks.forEach((mark, index) => {
    parts.push(`<line x1="${x(mark.threshold)}" x2="${x(mark.threshold)}" y1="${top}" y2="${top + plotHeight}" stroke="#57606a" stroke-dasharray="4 3"/>`, `<text x="${x(mark.threshold) + 3}" y="${top + 14 + index * 15}" fill="#57606a">${escapeXml(mark.label)}</text>`);
  });
  series.forEach(([name, color, value], index) => {
    const points = sweep.map((entry) => `${x(entry.threshold).toFixed(1)},${y(value(entry)).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const legendY = top + 16 + index * 20;
    parts.push(`<line x1="${left + plotWidth + 16}" x2="${left + plotWidth + 36}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`, `<text x="${left + plotWidth + 42}" y="${legendY + 4}">${name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[char]!);
