// A spy plot: the host's count grid drawn into a canvas with putImageData and
// scaled up with crisp pixels.
import { useEffect, useRef } from 'react';
import type { SpyGrid } from '../../../electron/common/lab-api.js';
import { fmtInt } from '../lib/format.js';
import { spyPixels } from '../lib/spy-colors.js';

export function SpyPlot({ grid, name, nnz, size = 400 }: { grid: SpyGrid; name: string; nnz: number; size?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    canvas.width = grid.width;
    canvas.height = grid.height;
    const pixels = spyPixels(grid.counts, grid.max);
    ctx.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, grid.width, grid.height), 0, 0);
  }, [grid]);
  const scale = size / Math.max(grid.width, grid.height);
  const label = `Spy plot of ${name}: ${fmtInt(grid.rows)} × ${fmtInt(grid.cols)}, ${fmtInt(nnz)} stored entries, binned to ${grid.width} × ${grid.height}`;
  return (
    <figure className="spy">
      <canvas
        ref={ref}
        role="img"
        tabIndex={0}
        aria-label={label}
        data-max={grid.max}
        style={{ width: Math.round(grid.width * scale), height: Math.round(grid.height * scale) }}
      />
      <figcaption>
        {grid.width} × {grid.height} bins · darkest bin {fmtInt(grid.max)} entries (log colour scale)
      </figcaption>
    </figure>
  );
}
