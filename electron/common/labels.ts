// Human names for things both sides show.
import type { GeneratorParams } from './lab-api.js';

export function generatorLabel(p: GeneratorParams): string {
  switch (p.kind) {
    case 'poisson1d':
      return `1-D Poisson n=${p.n}`;
    case 'poisson2d':
      return `2-D Poisson ${p.nx}×${p.ny}`;
    case 'random':
      return `random ${p.rows}×${p.cols} density ${p.density} seed ${p.seed}`;
  }
}
