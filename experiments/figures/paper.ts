// The paper's Figures 3–10 drawn from a run's result, one self-contained SVG each.
// A result is the graph runner's (one shape for every graph); the figures are
// drawn for graphs built as the paper templates are (experiments/graph/v1.ts),
// found by their nodes: a Jacobi block learning ω, heavyball with α and β, a CG
// block with residual histories, a cross-entropy loss with accuracies.
import type { Band, ExperimentResult } from '../runner/types.js';
import { COLORS, rampColor, renderChart } from './svg.js';

export interface Figure {
  /** e.g. 'fig3-jacobi-loss-weights.svg' */
  file: string;
  /** The paper's figure number. */
  figure: number;
  title: string;
  svg: string;
}

function bandSeries(label: string, b: Band, color: string, sigmas = 2) {
  return {
    label: `${label} (mean ± ${sigmas}σ)`,
    y: b.mean,
    color,
    band: { lower: b.mean.map((m, i) => m - sigmas * b.std[i]!), upper: b.mean.map((m, i) => m + sigmas * b.std[i]!) },
  };
}

/** Which paper application a result's graph is, by its nodes (null: none of them). */
export function paperApplication(result: ExperimentResult): 'jacobi' | 'heavyball' | 'pcg' | 'gcn' | null {
  const kinds = new Set(result.spec.nodes.map((n) => n.kind));
  const s = result.series;
  if (kinds.has('jacobi') && Array.isArray(result.summary.omega) && s.parameters.omega) return 'jacobi';
  if (kinds.has('heavyball') && s.parameters.alpha && s.parameters.beta && s.losses.test) return 'heavyball';
  if (kinds.has('cg') && s.figures.cgHistory && s.figures.pcgHistory && s.metrics.relativeResidual) return 'pcg';
  if (kinds.has('cross-entropy-loss') && s.metrics.testAccuracy && s.metrics.trainAccuracy && s.metrics.valAccuracy) return 'gcn';
  return null;
}

/** A per-epoch band across runs: the runner's band when there were several runs, else run 0's values (σ = 0). */
function bandOf(result: ExperimentResult, key: string, values: number[] | undefined): Band {
  const b = result.series.bands[key];
  if (b) return b;
  const v = values ?? [];
  return { mean: v, std: v.map(() => 0) };
}

/** The figures a result reproduces (Fig. 3–4 jacobi, 5–6 heavyball, 7–8 pcg, 9–10 gcn); none for other graphs. */
export function paperFigures(result: ExperimentResult): Figure[] {
  const name = result.name;
  switch (paperApplication(result)) {
    case null:
      return [];
    case 'jacobi': {
      const loss = result.series.losses.train!;
      const weights = result.series.parameters.omega as number[][];
      const n = weights[0]?.length ?? 0;
      const fig3 = renderChart({
        title: `Fig. 3 — Jacobi weights: loss and node-wise weights per epoch (${name})`,
        subtitle: `loss (21), left axis; Ω_i for the ${n} nodes, right axis`,
        xLabel: 'training epoch',
        yLabel: 'loss',
        y2Label: 'Jacobi weight Ω_i',
        series: [
          { label: 'loss', y: loss, color: COLORS.black, width: 2.4 },
          ...Array.from({ length: n }, (_, i) => ({
            y: weights.map((w) => w[i]!),
            color: rampColor(i, n),
            width: 1.2,
            axis: 'right' as const,
          })),
        ],
        legendExtra: [{ label: `Ω_i, node 0 (dark) … ${n - 1} (light)`, color: rampColor(Math.floor(n / 2), n) }],
      });
      const fig4 = renderChart({
        title: `Fig. 4 — Final node-wise Jacobi weights (${name})`,
        xLabel: 'node',
        xInteger: true,
        yLabel: 'Jacobi weight Ω_i',
        series: [{ label: 'learned Ω', y: result.summary.omega as number[], color: COLORS.blue, markers: true }],
      });
      return [
        { file: 'fig3-jacobi-loss-weights.svg', figure: 3, title: 'Jacobi loss and weight history', svg: fig3 },
        { file: 'fig4-jacobi-final-weights.svg', figure: 4, title: 'Final node-wise Jacobi weights', svg: fig4 },
      ];
    }
    case 'heavyball': {
      const p = result.series.parameters;
      const s = { trainLoss: result.series.losses.train!, testLoss: result.series.losses.test!, alpha: p.alpha as number[], beta: p.beta as number[] };
      const fig5 = renderChart({
        title: `Fig. 5 — Heavyball: training and test loss (${name})`,
        xLabel: 'training epoch',
        yLabel: 'loss (25)',
        yLog: true,
        series: [
          { label: 'training loss', y: s.trainLoss, color: COLORS.black },
          { label: 'test loss', y: s.testLoss, color: COLORS.orange, dash: '6 4' },
        ],
      });
      const fig6 = renderChart({
        title: `Fig. 6 — Heavyball parameters α, β with the training loss (${name})`,
        xLabel: 'training epoch',
        yLabel: 'training loss',
        y2Label: 'heavyball parameter',
        yLog: true,
        series: [
          { label: 'training loss', y: s.trainLoss, color: COLORS.black, dash: '6 4' },
          { label: 'α', y: s.alpha, color: COLORS.red, axis: 'right' },
          { label: 'β', y: s.beta, color: COLORS.blue, axis: 'right' },
        ],
      });
      return [
        { file: 'fig5-heavyball-loss.svg', figure: 5, title: 'Heavyball training and test loss', svg: fig5 },
        { file: 'fig6-heavyball-parameters.svg', figure: 6, title: 'Heavyball parameter history', svg: fig6 },
      ];
    }
    case 'pcg': {
      const s = {
        loss: result.series.losses.train!,
        relativeResidual: result.series.metrics.relativeResidual!,
        cgHistory: result.series.figures.cgHistory!,
        pcgHistory: result.series.figures.pcgHistory!,
      };
      const iterations = Number(result.spec.nodes.find((n) => n.kind === 'cg')?.fields.iterations ?? 0);
      const fig7 = renderChart({
        title: `Fig. 7 — Learning the CG preconditioner M = L Lᵀ (${name})`,
        subtitle: `loss (28), left axis; relative residual after ${iterations} PCG iterations, right axis`,
        xLabel: 'training epoch',
        yLabel: 'loss',
        y2Label: 'relative residual ‖r‖/‖b‖',
        yLog: true,
        y2Log: true,
        series: [
          { label: 'loss', y: s.loss, color: COLORS.blue },
          { label: 'relative residual', y: s.relativeResidual, color: COLORS.red, dash: '6 4', axis: 'right' },
        ],
      });
      const fig8 = renderChart({
        title: `Fig. 8 — Residual history: plain CG vs learned PCG (${name})`,
        xLabel: 'CG iteration',
        xInteger: true,
        yLabel: 'relative residual ‖r‖/‖b‖',
        yLog: true,
        series: [
          { label: 'conjugate gradient', y: s.cgHistory, color: COLORS.blue, markers: true },
          { label: 'learned PCG', y: s.pcgHistory, color: COLORS.orange, markers: true },
        ],
      });
      return [
        { file: 'fig7-pcg-loss-residual.svg', figure: 7, title: 'PCG training loss and relative residual', svg: fig7 },
        { file: 'fig8-pcg-residual-history.svg', figure: 8, title: 'CG vs learned PCG residual history', svg: fig8 },
      ];
    }
    case 'gcn': {
      const m = result.series.metrics;
      const s = {
        loss: bandOf(result, 'train', result.series.losses.train),
        trainAccuracy: bandOf(result, 'trainAccuracy', m.trainAccuracy),
        valAccuracy: bandOf(result, 'valAccuracy', m.valAccuracy),
        testAccuracy: bandOf(result, 'testAccuracy', m.testAccuracy),
      };
      const runs = result.runs.length;
      const test = result.runs.map((r) => r.final.testAccuracy as number);
      const mean = test.reduce((a, x) => a + x, 0) / test.length;
      const std = test.length > 1 ? Math.sqrt(test.reduce((a, x) => a + (x - mean) ** 2, 0) / (test.length - 1)) : 0;
      const fig9 = renderChart({
        title: `Fig. 9 — GCN training loss on ${graphName(result)} (${runs} run${runs === 1 ? '' : 's'})`,
        subtitle: 'line: mean over runs; shaded: ± 2 standard deviations',
        xLabel: 'training epoch',
        yLabel: 'cross-entropy loss',
        series: [bandSeries('loss', s.loss, COLORS.blue)],
      });
      const fig10 = renderChart({
        title: `Fig. 10 — GCN classification accuracy on ${graphName(result)} (${runs} run${runs === 1 ? '' : 's'})`,
        subtitle: `final test accuracy ${(mean * 100).toFixed(1)}% ± ${(std * 100).toFixed(1)}%`,
        xLabel: 'training epoch',
        yLabel: 'accuracy',
        yRange: [0, 1],
        series: [
          bandSeries('train', s.trainAccuracy, COLORS.green),
          bandSeries('validation', s.valAccuracy, COLORS.orange),
          bandSeries('test', s.testAccuracy, COLORS.blue),
        ],
      });
      return [
        { file: 'fig9-gcn-loss.svg', figure: 9, title: 'GCN training loss', svg: fig9 },
        { file: 'fig10-gcn-accuracy.svg', figure: 10, title: 'GCN accuracy', svg: fig10 },
      ];
    }
  }
}

function graphName(result: ExperimentResult): string {
  const data = result.spec.nodes.find((n) => n.kind === 'graph-dataset');
  if (!data) return 'the graph';
  const f = data.fields as { format?: string; name?: string; path?: string };
  const raw = f.format === 'planetoid' ? f.name : f.path?.split(/[\\/]/).filter(Boolean).pop();
  return raw ? raw.charAt(0).toUpperCase() + raw.slice(1) : 'the graph';
}
