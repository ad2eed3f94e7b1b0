import type { SessionFeature } from "../store/schema.ts";

/** What auto-labelling needs to know about one session. */
export interface LabelSession {
  cluster: number;
  start: number;
  end: number;
  requests: number;
  features: Record<SessionFeature, number>;
  /** Index of the session's main user agent (any stable id). */
  mainUa: number;
  /** The main user agent declares a crawler, script or library. */
  declaredBot: boolean;
  /** Isolation-forest outlier score in [0, 1], when computed. */
  outlier?: number;
}

export interface ClusterEvidence {
  cluster: number;
  sessions: number;
  /** Each indicator in [0, 1]: how strongly it points to an attack. */
  indicators: {
    volume: number;
    noAssets: number;
    errors: number;
    uaUniformity: number;
    regularity: number;
    outlier: number;
  };
  declaredBotShare: number;
  score: number;
  verdict: "attack" | "crawlers" | "normal";
  /** Plain-language reasons, strongest first. */
  reasons: string[];
}

const WEIGHTS = {
  volume: 0.25,
  noAssets: 0.35,
  errors: 0.1,
  uaUniformity: 0.1,
  regularity: 0.1,
  outlier: 0.1,
};
export const ATTACK_SCORE = 0.5;
const MIN_SESSIONS = 5;

const clamp = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function assetsPerPage(s: LabelSession): number {
  return s.features.image_html_ratio + s.features.css_html_ratio + s.features.js_html_ratio;
}

/** Coefficient of variation of the gaps: near 0 for scripted clients, around 1 or more for people. */
function gapVariation(s: LabelSession): number {
  const mean = s.features.request_interval;
  return s.requests >= 3 && mean > 0 ? s.features.variance_request_interval / mean : Number.NaN;
}

interface Baseline {
  volume: number;
  noAssets: number;
  errors: number;
  outlier: number;
}

function baselineOf(sessions: LabelSession[]): Baseline {
  return {
    volume: median(sessions.map((s) => s.requests)),
    noAssets: sessions.filter((s) => assetsPerPage(s) === 0).length / Math.max(1, sessions.length),
    errors: median(sessions.map((s) => s.features.error_rate + s.features.server_error_rate)),
    outlier: median(sessions.map((s) => s.outlier ?? 0)),
  };
}

/**
 * Evidence per cluster against the incident's own baseline (its median session): many more requests
 * per session than the baseline, pages without their assets, errors, one user agent across many IPs, machine-regular
 * timing and isolation-forest outlierness. Clusters whose sessions mostly declare themselves crawlers
 * are reported as crawlers, not attacks.
 */
export function clusterEvidence(sessions: LabelSession[]): ClusterEvidence[] {
  const base = baselineOf(sessions);
  const byCluster = new Map<number, LabelSession[]>();
  for (const s of sessions) {
    const list = byCluster.get(s.cluster) ?? [];
    list.push(s);
    byCluster.set(s.cluster, list);
  }
  const out: ClusterEvidence[] = [];
  for (const [cluster, list] of [...byCluster].sort((a, b) => a[0] - b[0])) {
    const volume = median(list.map((s) => s.requests));
    const noAssets = list.filter((s) => assetsPerPage(s) === 0).length / list.length;
    const errors = median(list.map((s) => s.features.error_rate + s.features.server_error_rate));
    const uaCounts = new Map<number, number>();
    for (const s of list) uaCounts.set(s.mainUa, (uaCounts.get(s.mainUa) ?? 0) + 1);
    const topUaShare = Math.max(...uaCounts.values()) / list.length;
    const variation = median(list.map(gapVariation).filter((v) => !Number.isNaN(v)));
    const outlier = median(list.map((s) => s.outlier ?? 0));
    const declaredBotShare = list.filter((s) => s.declaredBot).length / list.length;

    const indicators = {
      // ten times the site's median requests per session scores 1
      volume: clamp(Math.log10(volume / Math.max(base.volume, 1))),
      noAssets: clamp((noAssets - base.noAssets) / Math.max(0.2, 1 - base.noAssets)),
      errors: clamp((errors - base.errors) * 2),
      // a single UA shared by many sessions; meaningless for tiny clusters
      uaUniformity: list.length >= MIN_SESSIONS ? clamp((topUaShare - 0.3) / 0.6) : 0,
      regularity: Number.isNaN(variation) ? 0 : clamp(1 - variation / 0.5),
      outlier: clamp((outlier - base.outlier) / 0.2),
    };
    let score = 0;
    for (const [k, w] of Object.entries(WEIGHTS)) score += w * indicators[k as keyof typeof WEIGHTS];
    const verdict =
      declaredBotShare >= 0.5
        ? "crawlers"
        : score >= ATTACK_SCORE && list.length >= MIN_SESSIONS
          ? "attack"
          : "normal";
    const reasons: [number, string][] = [
      [indicators.volume, `${volume} requests per session vs ${base.volume} for the site`],
      [
        indicators.noAssets,
        `${(100 * noAssets).toFixed(0)}% of sessions load pages without their assets (site: ${(100 * base.noAssets).toFixed(0)}%)`,
      ],
      [indicators.errors, `error rate ${(100 * errors).toFixed(0)}% vs ${(100 * base.errors).toFixed(0)}%`],
      [indicators.uaUniformity, `${(100 * topUaShare).toFixed(0)}% of sessions share one user agent`],
      [
        indicators.regularity,
        `machine-regular timing (gap variation ${Number.isNaN(variation) ? "n/a" : variation.toFixed(2)})`,
      ],
      [
        indicators.outlier,
        `isolation-forest outlier score ${outlier.toFixed(2)} vs ${base.outlier.toFixed(2)}`,
      ],
    ];
    out.push({
      cluster,
      sessions: list.length,
      indicators,
      declaredBotShare,
      score,
      verdict,
      reasons: reasons
        .filter(([v]) => v >= 0.3)
        .sort((a, b) => b[0] - a[0])
        .map(([, r]) => r)
        .concat(
          verdict === "crawlers"
            ? [`${(100 * declaredBotShare).toFixed(0)}% declare a crawler user agent`]
            : [],
        ),
    });
  }
  return out;
}

/**
 * Splits the sessions of the attack clusters into attacks by time: sessions whose activity overlaps or
 * follows within `gapSeconds` belong to the same attack.
 */
export function attacksByTime(
  sessions: { index: number; start: number; end: number }[],
  gapSeconds: number,
): number[][] {
  const sorted = sessions.slice().sort((a, b) => a.start - b.start);
  const groups: number[][] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const s of sorted) {
    if (groups.length === 0 || s.start > end + gapSeconds) groups.push([]);
    groups[groups.length - 1].push(s.index);
    end = Math.max(end, s.end);
  }
  return groups;
}
