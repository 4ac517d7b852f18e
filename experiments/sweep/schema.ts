// A sweep file (version 1): a problem graph (a template name, a spec/graph path,
// or the graph itself) plus axes over its fields × seeds, with a run budget.
//
//   { "version": 1, "base": "jacobi", "seeds": [0, 1, 2, 3] }
//   { "version": 1, "base": "heavyball", "seeds": [0, 1],
//     "axes": { "training.optimizer.lr": [0.001, 0.01], "heavyball.iterations": { "from": 2, "to": 8, "steps": 4, "integer": true } },
//     "sample": { "count": 6, "seed": 1 } }
//
// Field paths are named as the lab's inspector shows them: `<nodeId>.<field>` for a
// node's field, `training.<setting>` (e.g. `training.optimizer.lr`, `training.epochs`)
// for the training settings; `optimizer.lr` and `epochs` are accepted shorthands.
import { z } from 'zod';

export const SWEEP_VERSION = 1;

/** The default run budget: a sweep that expands to more runs is refused (raise `budget` to allow it). */
export const DEFAULT_BUDGET = 1000;

const Scalar = z.union([z.number(), z.string(), z.boolean()]);
export type AxisValue = z.infer<typeof Scalar>;

/** `steps` evenly spaced values from `from` to `to` (both included); on a log scale, evenly spaced exponents. */
export const RangeSchema = z
  .object({
    from: z.number().describe('first value'),
    to: z.number().describe('last value'),
    steps: z.int().min(1).max(10_000).default(5).describe('how many grid values (a sample draws from the whole interval)'),
    scale: z.enum(['linear', 'log']).default('linear').describe('log: evenly spaced exponents (from and to must be > 0)'),
    integer: z.boolean().default(false).describe('round each value to an integer'),
  })
  .strict()
  .refine((r) => r.scale === 'linear' || (r.from > 0 && r.to > 0), { message: 'a log-scale range needs from > 0 and to > 0', path: ['from'] });
export type AxisRange = z.infer<typeof RangeSchema>;

export const AxisSchema = z.union([z.array(Scalar).min(1).max(10_000), RangeSchema]);
export type Axis = z.infer<typeof AxisSchema>;

export const SweepSchema = z
  .object({
    version: z.literal(SWEEP_VERSION),
    name: z.string().min(1).max(120).optional().describe('defaults to the base graph’s name'),
    base: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).describe('a template name, a spec/graph file path (relative to the sweep file), or a graph'),
    seeds: z.array(z.int().min(0).max(2 ** 31 - 1)).min(1).max(10_000).default([0]).describe('every configuration runs once per seed (training.seed)'),
    axes: z.record(z.string().min(1), AxisSchema).default({}).describe('field path → values or a range'),
    sample: z
      .object({
        count: z.int().min(1).max(100_000).describe('configurations drawn at random (each runs once per seed)'),
        seed: z.int().min(0).default(0).describe('seed of the draw, so a sample is reproducible'),
      })
      .strict()
      .optional()
      .describe('draw configurations at random instead of the full grid'),
    budget: z.int().min(1).default(DEFAULT_BUDGET).describe('the most runs this sweep may expand to'),
    epochs: z.int().min(1).optional().describe('override training.epochs of every run (as --epochs does)'),
  })
  .strict();

export type SweepFile = z.input<typeof SweepSchema>;
export type Sweep = z.output<typeof SweepSchema>;
