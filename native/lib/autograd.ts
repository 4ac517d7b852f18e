// The tape. Each differentiable op that sees an input requiring grad attaches a
// GradFn to its output: the inputs and a backward closure (the VJP) that returns
// one gradient slot per input. `backward()` walks the graph iteratively (long
// unrolled solvers make deep tapes) in reverse topological order and accumulates.
import type { GradFn, Grads, Tensor } from './tensor.js';
import { untrackTensor } from './device.js';
import { SparseAdError } from './errors.js';

// A node of the tape and its gradient slots are declared beside Tensor, which holds them.
export type { GradFn, Grads };

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (as torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Attaches a GradFn to `output` when recording is on and some input requires a
 * gradient; returns `output` either way. Op files call this right after their
 * forward, with the VJP as `backward`.
 */
export function record(
  name: string,
  output: Tensor,
  inputs: readonly (Tensor | null)[],
  backward: (grad: Tensor, needs: readonly boolean[]) => Grads,
): Tensor {
  if (!gradEnabled) return output;
  let any = false;
  for (const t of inputs) if (t !== null && t.requiresGrad) any = true;
  if (!any) return output;
  output.requiresGrad = true;
  output.gradFn = { name, inputs, backward };
  return output;
}

/** How gradients are added (native kernels; see setGradOps). */
export interface GradOps {
  /** a + b, a fresh tensor. */
  add(a: Tensor, b: Tensor): Tensor;
  /** a += b. */
  addInPlace(a: Tensor, b: Tensor): void;
  /** Whether t's storage is shared and read-only (a constant seed, see ops/transfer.ts). */
  isShared(t: Tensor): boolean;
}
let gradOps: GradOps | undefined;

/** Installed by methods.ts, which sits above the ops that add (an op here would be an import cycle). */
export function setGradOps(ops: GradOps): void {
  gradOps = ops;
}

/**
 * Back-propagates from `root` with the given seed gradient. Leaf tensors
 * (requiresGrad, no gradFn) accumulate into `.grad`; intermediate gradients are
 * dropped as soon as they have been propagated. Intermediate gradients are never
 * mutated in place, so a VJP may return a view of its input gradient; only a
 * leaf's `.grad` that the tape allocated itself is added to in place.
 */
export function runBackward(root: Tensor, seed: Tensor): void {
  if (!root.requiresGrad) {
    throw new SparseAdError('backward: the tensor does not require grad (no input of the computation has requiresGrad: true)');
  }
  const order = topoOrder(root);
  const pending = new Map<Tensor, Tensor>();
  pending.set(root, seed);
  const prev = gradEnabled;
  gradEnabled = false; // no tape for the backward pass itself
  try {
    if (!root.gradFn) {
      accumulateLeaf(root, seed);
      return;
    }
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k]!;
      const grad = pending.get(node);
      if (!grad) continue;
      pending.delete(node);
      const fn = node.gradFn!;
      const needs = fn.inputs.map((t) => t !== null && t.requiresGrad);
      const grads = fn.backward(grad, needs);
      if (grads.length !== fn.inputs.length) {
        throw new SparseAdError(`backward: ${fn.name} returned ${grads.length} gradients for ${fn.inputs.length} inputs`);
      }
      for (let i = 0; i < grads.length; i++) {
        const input = fn.inputs[i];
        const g = grads[i];
        if (!input || !needs[i] || !g) continue;
        if (!sameShape(g.shape, input.shape) || g.dtype !== input.dtype || g.device !== input.device) {
          throw new SparseAdError(
            `backward: ${fn.name} returned a gradient of shape [${g.shape.join(', ')}] (${g.dtype}, ${g.device}) ` +
              `for input ${i} of shape [${input.shape.join(', ')}] (${input.dtype}, ${input.device})`,
          );
        }
        if (input.gradFn) {
          const have = pending.get(input);
          pending.set(input, have ? gradOps!.add(have, g) : g);
        } else {
          accumulateLeaf(input, g);
        }
      }
    }
  } finally {
    gradEnabled = prev;
  }
}

/** The .grad tensors the tape allocated (sums of gradients): the leaf owns their storage. */
const ownedGrads = new WeakSet<Tensor>();

/**
 * t.grad += g. The leaf's .grad is a tensor object of its own, outside every
 * scope: at first a view of g (a copy when g is a shared constant); once a
 * second gradient arrives, a sum the tape allocated, which later gradients are
 * added to in place (no garbage per accumulation). A replaced device gradient
 * is freed.
 */
function accumulateLeaf(t: Tensor, g: Tensor): void {
  const old = t.grad;
  if (old !== null && ownedGrads.has(old) && !old.isDisposed) {
    gradOps!.addInPlace(old, g);
    return;
  }
  let next: Tensor;
  if (old !== null) {
    next = gradOps!.add(old, g);
    ownedGrads.add(next);
    if (old.device !== 'cpu') old.dispose();
  } else if (gradOps!.isShared(g)) {
    next = g.clone();
    ownedGrads.add(next);
  } else {
    next = g.view(g.shape);
  }
  t.grad = next;
  untrackTensor(next);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Post-order of the nodes with a gradFn reachable from root (iterative DFS). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  if (!root.gradFn) return order;
  const visited = new Set<Tensor>([root]);
  const stack: { node: Tensor; next: number }[] = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.node.gradFn!.inputs;
    if (top.next < inputs.length) {
      const child = inputs[top.next++];
      if (child && child.gradFn && child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}
