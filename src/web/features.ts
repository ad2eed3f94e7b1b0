import type { SessionFeature } from "../store/schema.ts";
import type { DistinctHashes } from "./distinct.ts";

/** Per-session running sums: plain data, updated once per request, enough to compute every feature. */
export interface SessionState {
  /** The sessionizer's key: IP id, or IP-and-host pair id; -1 once closed. */
  key: number;
  /** Sequence number of the session's opening in its sessionizer. */
  opened: number;
  ip: string;
  host: string | null;
  number: number;
  first: number;
  last: number;
  n: number;
  /** Gaps between consecutive requests: count, mean and M2 (Welford). */
  gapN: number;
  gapMean: number;
  gapM2: number;
  bytes: number;
  n4xx: number;
  n5xx: number;
  head: number;
  post: number;
  html: number;
  image: number;
  css: number;
  js: number;
  htmlDepthSum: number;
  htmlDepthSq: number;
  depthSum: number;
  depthSq: number;
  consecutive: number;
  /** Folder of the previous HTML request (hash; compat: position of its last '/'), -2 before the first. */
  lastFolder: number;
  /** User-agent ids and their request counts: the first uaN entries (the arrays are reused). */
  uaIds: number[];
  uaCounts: number[];
  uaN: number;
  /** Distinct paths and queries, as hashes. */
  paths: DistinctHashes;
  queries: DistinctHashes;
  /** The last request's user-agent id and its index in uaIds. */
  lastUa: number;
  lastUaIndex: number;
}

export type Features = Record<SessionFeature, number>;

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/**
 * The session's features. Corrected definitions by default (spec section 1); `compat` reproduces the
 * original Bothound quirks: population std of gaps, and 1800 whenever the mean interval is 0.
 */
export function sessionFeatures(s: SessionState, gapSeconds: number, compat: boolean): Features {
  const n = s.n;
  const length = s.last - s.first;
  let interval = n > 1 ? length / (n - 1) : gapSeconds;
  if (compat && interval === 0) interval = gapSeconds; // python's `x and y or z` when y == 0
  let gapSpread = 0;
  if (s.gapN >= 2) gapSpread = Math.sqrt(s.gapM2 / (compat ? s.gapN : s.gapN - 1));
  let maxUa = 0;
  for (let i = 0; i < s.uaN; i++) if (s.uaCounts[i] > maxUa) maxUa = s.uaCounts[i];
  const htmlDepthMean = ratio(s.htmlDepthSum, s.html);
  const depthMean = s.depthSum / n;
  const html = Math.max(s.html, 1);
  return {
    request_interval: interval,
    ua_change_rate: maxUa / n,
    html2image_ratio: s.html > 0 && s.image > 0 ? s.image / s.html : 0,
    variance_request_interval: gapSpread,
    payload_average: s.bytes / n,
    error_rate: s.n4xx / n,
    request_depth: htmlDepthMean,
    request_depth_std: s.html > 0 ? Math.sqrt(Math.max(0, s.htmlDepthSq / s.html - htmlDepthMean ** 2)) : -1,
    session_length: length,
    percentage_cons_requests: ratio(s.consecutive, s.html),
    server_error_rate: s.n5xx / n,
    head_share: s.head / n,
    post_share: s.post / n,
    distinct_path_ratio: s.paths.size / n,
    distinct_query_ratio: s.queries.size / n,
    path_depth_mean: depthMean,
    path_depth_var: Math.max(0, s.depthSq / n - depthMean ** 2),
    css_html_ratio: s.css / html,
    js_html_ratio: s.js / html,
    image_html_ratio: s.image / html,
    ua_count: s.uaN,
  };
}
