// Reading MatrixMarket files through the engine's reader (sparse-ad-lab/engine
// readMatrixMarket), with the file named in every error.
import * as engine from '../../native/lib/index.js';
import type { CsrMatrix, DType } from '../../native/lib/index.js';

type Reader = (path: string, options?: Record<string, unknown>) => unknown;

/**
 * Reads a MatrixMarket file into a CsrMatrix (symmetric files expanded, pattern
 * files with value 1, as the engine's reader gives them).
 */
export async function readMatrixFile(path: string, dtype: DType = 'float64'): Promise<CsrMatrix> {
  const read = (engine as unknown as Record<string, unknown>).readMatrixMarket as Reader | undefined;
  if (typeof read !== 'function') {
    throw new Error(`${path}: cannot read MatrixMarket files: this build of the engine has no readMatrixMarket`);
  }
  const out = (await read(path, { dtype })) as CsrMatrix | { matrix: CsrMatrix };
  const matrix = out instanceof engine.CsrMatrix ? out : out.matrix;
  if (!(matrix instanceof engine.CsrMatrix)) throw new Error(`${path}: the MatrixMarket reader returned no matrix`);
  return matrix;
}
