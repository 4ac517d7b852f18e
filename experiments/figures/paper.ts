// The paper's Figures 3–10 drawn from a run's result, one self-contained SVG each.
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

/** The figures a result reproduces (Fig. 3–4 jacobi, 5–6 heavyball, 7–8 pcg, 9–10 gcn). */
export function paperFigures(result: ExperimentResult): Figure[] {
  const name = result.name;
  switch (result.method) {
    case 'jacobi': {
      const { loss, weights } = result.series;
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
        series: [{ label: 'learned Ω', y: result.summary.weights, color: COLORS.blue, markers: true }],
      });
      return [
        { file: 'fig3-jacobi-loss-weights.svg', figure: 3, title: 'Jacobi loss and weight history', svg: fig3 },
        { file: 'fig4-jacobi-final-weights.svg', figure: 4, title: 'Final node-wise Jacobi weights', svg: fig4 },
      ];
    }
    case 'heavyball': {
      const s = result.series;
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
      const s = result.series;
      const fig7 = renderChart({
        title: `Fig. 7 — Learning the CG preconditioner M = L Lᵀ (${name})`,
        subtitle: `loss (28), left axis; relative residual after ${result.summary.pcgResidual.length} PCG iterations, right axis`,
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
      const s = result.series;
      const runs = result.summary.runs;
      const fig9 = renderChart({
        title: `Fig. 9 — GCN training loss on ${graphName(result)} (${runs} run${runs === 1 ? '' : 's'})`,
        subtitle: 'line: mean over runs; shaded: ± 2 standard deviations',
        xLabel: 'training epoch',
        yLabel: 'cross-entropy loss',
        series: [bandSeries('loss', s.loss, COLORS.blue)],
      });
      const fig10 = renderChart({
        title: `Fig. 10 — GCN classification accuracy on ${graphName(result)} (${runs} run${runs === 1 ? '' : 's'})`,
        subtitle: `final test accuracy ${(result.summary.testAccuracyMean * 100).toFixed(1)}% ± ${(result.summary.testAccuracyStd * 100).toFixed(1)}%`,
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
  const m = result.spec.matrix;
  if (m.kind !== 'graph') return 'the graph';
  const raw = m.format === 'planetoid' ? m.name : m.path?.split(/[\\/]/).filter(Boolean).pop();
  return raw ? raw.charAt(0).toUpperCase() + raw.slice(1) : 'the graph';
}
