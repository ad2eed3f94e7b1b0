/**
 * The error metrics of Garcia, Grill, Stiborek and Zunino, "An empirical comparison of botnet detection
 * methods", Computers & Security 45 (2014): decisions per IP address per time window, weighted in time.
 *
 * In every window each IP address has a label — botnet when any of its flows (as source) is labelled
 * botnet, else normal when any is labelled normal, else background — and a decision (detected as botnet
 * or not). Background addresses are not counted, right or wrong. With n the window's number (0 for the
 * first), N_bot and N_norm the numbers of botnet and normal addresses in it:
 *
 *   tTP += TP_n (e^(-alpha n) + 1) / N_bot      tFN += FN_n (e^(-alpha n) + 1) / N_bot
 *   tFP += FP_n / N_norm                         tTN += TN_n / N_norm
 *
 * alpha = 0.01, so early detection weighs more. TPR = tTP / (tTP + tFN), FPR = tFP / (tFP + tTN),
 * precision = tTP / (tTP + tFP), F1 their harmonic mean; 0 where a denominator is 0.
 */

export type IpTruth = "botnet" | "normal" | "background";

export interface IpDecision {
  truth: IpTruth;
  detected: boolean;
}

export interface GarciaMetrics {
  tTP: number;
  tFN: number;
  tFP: number;
  tTN: number;
  tpr: number;
  fpr: number;
  precision: number;
  f1: number;
  /** Plain (unweighted) counts over all windows, for reference. */
  counts: { tp: number; fn: number; fp: number; tn: number };
  windows: number;
}

/** `windows[n]` holds the decisions of window n (n = 0 first). */
export function garciaMetrics(windows: IpDecision[][], alpha = 0.01): GarciaMetrics {
  let tTP = 0;
  let tFN = 0;
  let tFP = 0;
  let tTN = 0;
  const counts = { tp: 0, fn: 0, fp: 0, tn: 0 };
  windows.forEach((decisions, n) => {
    let nBot = 0;
    let nNorm = 0;
    let tp = 0;
    let fn = 0;
    let fp = 0;
    let tn = 0;
    for (const d of decisions) {
      if (d.truth === "botnet") {
        nBot++;
        if (d.detected) tp++;
        else fn++;
      } else if (d.truth === "normal") {
        nNorm++;
        if (d.detected) fp++;
        else tn++;
      }
    }
    const weight = Math.exp(-alpha * n) + 1;
    if (nBot > 0) {
      tTP += (tp * weight) / nBot;
      tFN += (fn * weight) / nBot;
    }
    if (nNorm > 0) {
      tFP += fp / nNorm;
      tTN += tn / nNorm;
    }
    counts.tp += tp;
    counts.fn += fn;
    counts.fp += fp;
    counts.tn += tn;
  });
  const tpr = tTP + tFN > 0 ? tTP / (tTP + tFN) : 0;
  const fpr = tFP + tTN > 0 ? tFP / (tFP + tTN) : 0;
  const precision = tTP + tFP > 0 ? tTP / (tTP + tFP) : 0;
  const f1 = precision + tpr > 0 ? (2 * precision * tpr) / (precision + tpr) : 0;
  return { tTP, tFN, tFP, tTN, tpr, fpr, precision, f1, counts, windows: windows.length };
}
