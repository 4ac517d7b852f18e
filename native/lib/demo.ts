// `npm start` (until the desktop app exists): a small tour of the engine.
import { CsrMatrix, buildInfo, spmv, tensor } from './index.js';

const info = buildInfo();
console.log(`sparse-ad-lab engine — BLAS: ${info.blas}, KLU: ${info.klu}, CUDA build: ${info.cuda}, threads: ${info.hardwareThreads}`);
const A = CsrMatrix.fromCoo([0, 0, 1], [0, 2, 1], [1, 2, 3], [2, 3], { requiresGrad: true });
const x = tensor([1, 2, 3], { requiresGrad: true });
const y = spmv(A, x);
console.log('A =', JSON.stringify(A.toDense().toList()), ' x =', JSON.stringify(x.toList()));
console.log('y = A x =', JSON.stringify(y.toList()));
y.backward(tensor([1, 10]));
console.log('with v = [1, 10]: dA (on the pattern of A) =', JSON.stringify(A.values.grad!.toList()), ' dx = Aᵀ v =', JSON.stringify(x.grad!.toList()));
