// Reading MatrixMarket files through the engine's reader. Its errors already
// name the file and the line.
import { type CsrMatrix, type DType, readMatrixMarket } from '../../native/lib/index.js';

/** A MatrixMarket file as a CsrMatrix (symmetric files expanded, pattern files with value 1). */
export async function readMatrixFile(path: string, dtype: DType = 'float64'): Promise<CsrMatrix> {
  const { matrix } = await readMatrixMarket(path, { dtype });
  return matrix;
}
