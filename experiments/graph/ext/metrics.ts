// Measurements an exported script reports after training, as the lab's output
// nodes report them.
import type { Tensor } from '../../../native/lib/index.js';

/** The fraction of `rows` (all rows when absent) whose largest logit is their label; ties go to the first class. */
export function accuracy(logits: Tensor, labels: Int32Array, rows?: Int32Array): number {
  const C = logits.shape[1]!;
  const d = logits.toArray();
  const picked = rows ?? Int32Array.from(labels.keys());
  let hit = 0;
  for (const r of picked) {
    let best = 0;
    for (let c = 1; c < C; c++) if (d[r * C + c]! > d[r * C + best]!) best = c;
    if (best === labels[r]) hit++;
  }
  return picked.length > 0 ? hit / picked.length : Number.NaN;
}
