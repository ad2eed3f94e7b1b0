import type { WebRequest } from "../ingest/weblog/record.ts";
import { DistinctHashes } from "./distinct.ts";
import { type Features, type SessionState, sessionFeatures } from "./features.ts";
import { emptyFacts, factsOf, Method, type RequestFacts, RequestTables } from "./request-facts.ts";
import { RequestType } from "./request-type.ts";

export interface SessionizerOptions {
  /** A new session starts after a gap longer than this (Bothound: 1800 s). */
  gapSeconds: number;
  /** Key sessions by client IP (Bothound) or by IP and virtual host. */
  key: "ip" | "ip+host";
  /** Reproduce the original Bothound feature quirks. */
  compat: boolean;
}

/** A finished session: who, when, how much, and its features. */
export interface WebSession {
  ip: string;
  host: string | null;
  /** 0-based number of this IP's (or IP and host's) session, in time order. */
  sessionNumber: number;
  start: number;
  end: number;
  requests: number;
  features: Features;
  /** User agents and their request counts, most used first. */
  userAgents: { ua: string; requests: number }[];
}

/**
 * Streaming sessionizer: push requests in (roughly) time order, advance a watermark to close idle
 * sessions, flush at the end. State is one plain record per active session, keyed by the IP's id in the
 * run's tables (or by the pair of IP and host ids), so memory follows the number of active sessions and
 * of distinct keys, not the input.
 */
export class Sessionizer {
  /** Active sessions by key. */
  private readonly byKey: (SessionState | undefined)[] = [];
  /**
   * Sessions in the order they opened, for the watermark sweep: an entry is live while its state still
   * has the open number written beside it (states are reused); dead entries are dropped by the sweep.
   */
  private readonly order: SessionState[] = [];
  private readonly orderOpened: number[] = [];
  /** Entries in use at the front of the two arrays (kept at their size: trimming and regrowing allocates). */
  private orderN = 0;
  private activeCount = 0;
  private opened = 0;
  /** Sessions so far per key seen (the next session number), and how many keys were seen. */
  private readonly seen: number[] = [];
  private keysSeen = 0;
  /** ip+host keys: pair -> key, and each key's IP and host. */
  private readonly pairs = new Map<number, number>();
  private readonly pairIp: number[] = [];
  private readonly pairHost: number[] = [];
  private readonly ipsSeen = new Set<number>();
  private readonly byIpAndHost: boolean;
  private readonly scratch = emptyFacts();
  /** States of closed sessions, reused: a session's state would otherwise outlive young-generation GC. */
  private readonly free: SessionState[] = [];

  constructor(
    private readonly opts: SessionizerOptions,
    private readonly emit: (session: WebSession) => void,
    readonly tables = new RequestTables(opts.compat),
  ) {
    this.byIpAndHost = opts.key === "ip+host";
  }

  get activeSessions(): number {
    return this.activeCount;
  }

  /** Distinct client IPs seen so far. */
  get distinctIps(): number {
    return this.byIpAndHost ? this.ipsSeen.size : this.keysSeen;
  }

  /** A request another reader produced (tests, JSON lines): read into facts first. */
  push(r: WebRequest): void {
    this.pushFacts(factsOf(r, this.tables, this.scratch));
  }

  pushFacts(f: RequestFacts): void {
    const key = this.byIpAndHost ? this.pairKey(f.ip, f.host) : f.ip;
    const time = this.opts.compat ? Math.floor(f.time) : f.time;
    let s = this.byKey[key];
    if (s !== undefined && time - s.last > this.opts.gapSeconds) {
      this.close(s);
      s = undefined;
    }
    if (s === undefined) s = this.open(key, f, time);
    else {
      if (time >= s.last) {
        const gap = time - s.last;
        s.gapN++;
        const d = gap - s.gapMean;
        s.gapMean += d / s.gapN;
        s.gapM2 += d * (gap - s.gapMean);
        s.last = time;
      } else if (time < s.first) {
        s.first = time; // slightly out-of-order line: widen the session, no negative gap
      }
    }
    this.count(s, f);
  }

  /** Closes every session idle for longer than the gap at log time `watermark`, in the order they opened. */
  advance(watermark: number): void {
    this.sweep(watermark - this.opts.gapSeconds);
  }

  /** Closes all sessions (end of input). */
  flush(): void {
    this.sweep(Number.POSITIVE_INFINITY);
  }

  /** Closes the sessions whose last request is before `limit` and compacts the open-order list. */
  private sweep(limit: number): void {
    const order = this.order;
    const opened = this.orderOpened;
    let kept = 0;
    for (let i = 0; i < this.orderN; i++) {
      const s = order[i];
      if (s.opened !== opened[i] || s.key === -1) continue;
      if (s.last < limit) this.close(s);
      else {
        order[kept] = s;
        opened[kept] = opened[i];
        kept++;
      }
    }
    this.orderN = kept; // entries past it point at pooled or active states: nothing kept alive in vain
  }

  private pairKey(ip: number, host: number): number {
    const pair = ip * 0x100000000 + (host + 1);
    let key = this.pairs.get(pair);
    if (key === undefined) {
      key = this.pairIp.length;
      this.pairs.set(pair, key);
      this.pairIp.push(ip);
      this.pairHost.push(host);
    }
    return key;
  }

  private open(key: number, f: RequestFacts, time: number): SessionState {
    const number = this.seen[key] ?? 0;
    if (number === 0) this.keysSeen++;
    this.seen[key] = number + 1;
    if (this.byIpAndHost) this.ipsSeen.add(f.ip);
    const st = this.free.pop() ?? newState();
    st.key = key;
    st.opened = this.opened++;
    this.order[this.orderN] = st;
    this.orderOpened[this.orderN] = st.opened;
    this.orderN++;
    this.activeCount++;
    this.byKey[key] = st;
    st.ip = this.tables.ips.names[f.ip];
    st.host = this.tables.hostName(f.host);
    st.number = number;
    st.first = time;
    st.last = time;
    return st;
  }

  private count(s: SessionState, f: RequestFacts): void {
    s.n++;
    s.bytes += f.bytes;
    const status = f.status;
    if (status >= 400) {
      if (status < 500) s.n4xx++;
      else s.n5xx++;
    }
    if (f.method === Method.Post) s.post++;
    else if (f.method === Method.Head) s.head++;
    const depth = f.depth;
    s.depthSum += depth;
    s.depthSq += depth * depth;
    s.paths.add(f.pathHash);
    if (f.queryHash !== -1) s.queries.add(f.queryHash);
    switch (f.contentType >= 0 ? f.contentType : f.pathType) {
      case RequestType.Html: {
        s.html++;
        s.htmlDepthSum += depth;
        s.htmlDepthSq += depth * depth;
        // Bothound compared the positions of the last '/', not the folders themselves
        const folder = this.opts.compat ? f.lastSlash : f.folderHash;
        if (folder === s.lastFolder) s.consecutive++;
        s.lastFolder = folder;
        break;
      }
      case RequestType.Image:
        s.image++;
        break;
      case RequestType.Css:
        s.css++;
        break;
      case RequestType.Js:
        s.js++;
        break;
    }
    // most sessions keep one user agent
    const ua = f.userAgent;
    if (ua === s.lastUa) {
      s.uaCounts[s.lastUaIndex]++;
      return;
    }
    let k = 0;
    while (k < s.uaN && s.uaIds[k] !== ua) k++;
    if (k === s.uaN) {
      s.uaIds[k] = ua;
      s.uaCounts[k] = 1;
      s.uaN++;
    } else {
      s.uaCounts[k]++;
    }
    s.lastUa = ua;
    s.lastUaIndex = k;
  }

  private close(s: SessionState): void {
    this.byKey[s.key] = undefined;
    this.activeCount--;
    const strings = this.tables.userAgents.strings;
    const userAgents = [{ ua: strings[s.uaIds[0]], requests: s.uaCounts[0] }];
    if (s.uaN > 1) {
      for (let i = 1; i < s.uaN; i++) userAgents.push({ ua: strings[s.uaIds[i]], requests: s.uaCounts[i] });
      userAgents.sort((a, b) => b.requests - a.requests);
    }
    this.emit({
      ip: s.ip,
      host: s.host,
      sessionNumber: s.number,
      start: s.first,
      end: s.last,
      requests: s.n,
      features: sessionFeatures(s, this.opts.gapSeconds, this.opts.compat),
      userAgents,
    });
    resetState(s);
    s.key = -1; // closed: its entry in the open-order list is dead
    this.free.push(s);
  }
}

function newState(): SessionState {
  return resetState({
    key: -1,
    opened: 0,
    ip: "",
    host: null,
    number: 0,
    first: 0,
    last: 0,
    n: 0,
    gapN: 0,
    gapMean: 0,
    gapM2: 0,
    bytes: 0,
    n4xx: 0,
    n5xx: 0,
    head: 0,
    post: 0,
    html: 0,
    image: 0,
    css: 0,
    js: 0,
    htmlDepthSum: 0,
    htmlDepthSq: 0,
    depthSum: 0,
    depthSq: 0,
    consecutive: 0,
    lastFolder: -2,
    uaIds: [],
    uaCounts: [],
    uaN: 0,
    paths: new DistinctHashes(),
    queries: new DistinctHashes(),
    lastUa: -1,
    lastUaIndex: -1,
  });
}

/** Clears the running sums of a state for its next session (keeps its arrays). */
function resetState(s: SessionState): SessionState {
  s.n = 0;
  s.gapN = 0;
  s.gapMean = 0;
  s.gapM2 = 0;
  s.bytes = 0;
  s.n4xx = 0;
  s.n5xx = 0;
  s.head = 0;
  s.post = 0;
  s.html = 0;
  s.image = 0;
  s.css = 0;
  s.js = 0;
  s.htmlDepthSum = 0;
  s.htmlDepthSq = 0;
  s.depthSum = 0;
  s.depthSq = 0;
  s.consecutive = 0;
  s.lastFolder = -2; // no position (compat: -1 is "no slash") nor hash (>= 0) equals it
  s.uaN = 0;
  s.paths.clear();
  s.queries.clear();
  s.lastUa = -1;
  s.lastUaIndex = -1;
  return s;
}
