/**
 * Host scores over windows, botd's rule with botd's bugs fixed.
 *
 * Per window and model, every internal host gets r, the share of its flows (as source or destination)
 * the model predicts botnet, with one pseudo-flow of doubt: r = botnet / (flows + prior), prior 1 by
 * default, so a host with one flow that looks bad gets 0.5, not 1. The score is an exponential moving
 * average, score = 0.3 r + 0.7 previous (starting at 0). Every host that has a score decays in every
 * window, also in windows where it has no flows or no suspicious flows (r = 0) — botd updated only hosts
 * with suspicious flows, so their scores never fell. Windows with no flows at all still count. There is
 * no clustering across hosts (botd's r came from clustering hosts and crashed with fewer than two), so a
 * single host works.
 *
 * Status (botd's thresholds): red when the score is >= 0.85, or >= 0.60 and rising, in 3 windows in a
 * row; yellow when the host was red or yellow in the previous window and the score is still >= 0.1;
 * clear otherwise. Each status carries its reason.
 */

export interface ScoreOptions {
  /** Weight of the new window, default 0.3. */
  alpha?: number;
  /** Pseudo-flows added to a host's flow count, default 1. */
  prior?: number;
  /** Default 0.85. */
  red?: number;
  /** Default 0.60. */
  redRising?: number;
  /** Windows in a row, default 3. */
  redWindows?: number;
  /** Default 0.1. */
  yellow?: number;
}

export type HostStatus = "red" | "yellow" | "clear";

export interface HostWindowScore {
  host: string;
  window: number;
  flows: number;
  botnetFlows: number;
  /** This window's share (see the module comment). */
  r: number;
  score: number;
  status: HostStatus;
  reason: string;
}

interface HostState {
  score: number;
  streak: number;
  status: HostStatus;
  window: number;
}

export interface HostCounts {
  flows: number;
  botnet: number;
}

const DEFAULTS: Required<ScoreOptions> = {
  alpha: 0.3,
  prior: 1,
  red: 0.85,
  redRising: 0.6,
  redWindows: 3,
  yellow: 0.1,
};

/** Scores below this, with a clear status, are forgotten (they only decay further). */
const FORGET = 1e-3;

export class HostScorer {
  readonly o: Required<ScoreOptions>;
  private readonly state = new Map<string, HostState>();
  private lastWindow: number | undefined;

  constructor(opts: ScoreOptions = {}) {
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  }

  /**
   * Scores window `index` (windows must come in increasing order; skipped windows count as windows with
   * no flows). Returns every host that had flows here or still has a score, sorted by host.
   */
  update(index: number, counts: Map<string, HostCounts>): HostWindowScore[] {
    if (this.lastWindow !== undefined && index <= this.lastWindow) {
      throw new RangeError(`window ${index} after window ${this.lastWindow}: windows must increase`);
    }
    this.lastWindow = index;
    const out: HostWindowScore[] = [];
    const hosts = new Set([...this.state.keys(), ...counts.keys()]);
    for (const host of [...hosts].sort()) {
      const c = counts.get(host) ?? { flows: 0, botnet: 0 };
      let s = this.state.get(host);
      if (!s) s = { score: 0, streak: 0, status: "clear", window: index - 1 };
      this.catchUp(s, index - 1);
      const r = c.flows + this.o.prior > 0 ? c.botnet / (c.flows + this.o.prior) : 0;
      const prev = s.score;
      const score = this.o.alpha * r + (1 - this.o.alpha) * prev;
      const high = score >= this.o.red;
      const rising = score >= this.o.redRising && score > prev;
      s.streak = high || rising ? s.streak + 1 : 0;
      let reason: string;
      let status: HostStatus;
      if (s.streak >= this.o.redWindows) {
        status = "red";
        reason = high
          ? `score ${fmt(score)} >= ${this.o.red}; ${s.streak} windows in a row at >= ${this.o.red} or >= ${this.o.redRising} rising`
          : `score ${fmt(score)} >= ${this.o.redRising} and rising; ${s.streak} windows in a row at >= ${this.o.red} or >= ${this.o.redRising} rising`;
      } else if (s.status !== "clear" && score >= this.o.yellow) {
        status = "yellow";
        reason = `was ${s.status}; score ${fmt(score)} >= ${this.o.yellow}`;
      } else {
        status = "clear";
        reason = s.status !== "clear" ? `score ${fmt(score)} fell below ${this.o.yellow}` : "";
      }
      s.score = score;
      s.status = status;
      s.window = index;
      if (c.flows > 0 || score >= FORGET || status !== "clear") {
        out.push({ host, window: index, flows: c.flows, botnetFlows: c.botnet, r, score, status, reason });
      }
      if (score < FORGET && status === "clear" && c.flows === 0) this.state.delete(host);
      else this.state.set(host, s);
    }
    return out;
  }

  /** Applies windows with no flows between the host's last window and `upTo` (inclusive). */
  private catchUp(s: HostState, upTo: number): void {
    const gap = upTo - s.window;
    if (gap <= 0) return;
    const decayed = s.score * (1 - this.o.alpha) ** gap;
    // r = 0 never keeps a streak: a score only falls
    s.streak = 0;
    if (s.status !== "clear") {
      // yellow as long as every decayed window stayed >= the yellow level
      const lastAbove = s.score * (1 - this.o.alpha) ** gap >= this.o.yellow;
      s.status = lastAbove ? "yellow" : "clear";
    }
    s.score = decayed;
    s.window = upTo;
  }
}

function fmt(v: number): string {
  return v.toFixed(2);
}
