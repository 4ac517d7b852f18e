// A heatmap of a row-major grid (e.g. a coefficient field κ on the PDE's grid),
// drawn into a canvas with putImageData and scaled up with crisp pixels.
import { memo, useEffect, useRef } from 'react';
import { fmtNum } from '../lib/format.js';

/** viridis at 5 stops, interpolated linearly (perceptually ordered, readable in grey). */
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function colour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export const Heatmap = memo(function Heatmap({ title, width, height, values, min, max, size = 300 }: { title: string; width: number; height: number; values: number[]; min?: number; max?: number; size?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  let lo = min ?? Number.POSITIVE_INFINITY;
  let hi = max ?? Number.NEGATIVE_INFINITY;
  if (min === undefined || max === undefined) {
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      if (min === undefined) lo = Math.min(lo, v);
      if (max === undefined) hi = Math.max(hi, v);
    }
  }
  if (!(hi > lo)) hi = lo + 1;
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || width < 1 || height < 1) return;
    canvas.width = width;
    canvas.height = height;
    const px = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      const v = values[i];
      const [r, g, b] = v === undefined || !Number.isFinite(v) ? [255, 255, 255] : colour((v - lo) / (hi - lo));
      px[4 * i] = r;
      px[4 * i + 1] = g;
      px[4 * i + 2] = b;
      px[4 * i + 3] = 255;
    }
    ctx.putImageData(new ImageData(px, width, height), 0, 0);
  }, [width, height, values, lo, hi]);
  const scale = size / Math.max(width, height, 1);
  return (
    <section className="chart heatmap" aria-label={title}>
      <h3>{title}</h3>
      <canvas ref={ref} role="img" aria-label={`${title}: ${height} × ${width} grid, values ${fmtNum(lo, 3)} to ${fmtNum(hi, 3)}`} style={{ width: Math.round(width * scale), height: Math.round(height * scale) }} />
      <div className="heatmap-scale" aria-hidden="true">
        <span>{fmtNum(lo, 3)}</span>
        <span className="ramp" />
        <span>{fmtNum(hi, 3)}</span>
      </div>
    </section>
  );
});
