import { rollingZScore } from "./baseline.ts";
import { type AnomalyParams, scoreSeries } from "./detector.ts";
import { type NabResult, type NabSeries, nabBest, nabScore, nabWindows } from "./nab-score.ts";
import { ANOMALY_KINDS, type SyntheticSeries, synthetic } from "./synthetic.ts";

export interface CorpusEvaluation {
  series: number;
  windows: number;
  detector: { atThreshold: NabResult; best: NabResult };
  baseline: { atThreshold: NabResult; best: NabResult };
}

/** Synthetic corpus: every kind for each seed. */
export function syntheticCorpus(seeds: number[]): SyntheticSeries[] {
  return seeds.flatMap((seed) => ANOMALY_KINDS.map((k) => synthetic(k, seed)));
}

/**
 * NAB-style evaluation (standard profile) of the detector and of the rolling z-score baseline on the same
 * corpus: at the product threshold and at each one's best threshold (NAB's optimisation).
 */
export function evaluateCorpus(
  corpus: SyntheticSeries[],
  threshold = 0.95,
  params: Partial<AnomalyParams> = {},
): CorpusEvaluation {
  const ours: NabSeries[] = [];
  const base: NabSeries[] = [];
  for (const s of corpus) {
    const windows = nabWindows(s.values.length, s.onsets);
    ours.push({ scores: scoreSeries(s.times, s.values, params), windows });
    base.push({ scores: rollingZScore(s.values), windows });
  }
  return {
    series: corpus.length,
    windows: ours.reduce((a, s) => a + s.windows.length, 0),
    detector: { atThreshold: nabScore(ours, threshold), best: nabBest(ours) },
    baseline: { atThreshold: nabScore(base, threshold), best: nabBest(base) },
  };
}
