import { detach, fnv1a } from "../core/strings.ts";
import type { WebRequest } from "../ingest/weblog/record.ts";
import { type Features, type SessionState, sessionFeatures } from "./features.ts";
import { RequestType, requestType } from "./request-type.ts";

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

/** Interned user-agent strings: sessions hold small ids, each distinct string is kept once. */
export class UserAgentTable {
  private readonly ids = new Map<string, number>();
  readonly strings: string[] = [];

  id(ua: string): number {
    let id = this.ids.get(ua);
    if (id === undefined) {
      id = this.strings.length;
      const flat = detach(ua);
      this.strings.push(flat);
      this.ids.set(flat, id);
    }
    return id;
  }
}

function slashCount(path: string): number {
  let n = 0;
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) n++;
  return n;
}

/**
 * Streaming sessionizer: push requests in (roughly) time order, advance a watermark to close idle
 * sessions, flush at the end. State is one plain record per active session, so memory follows the
 * number of active sessions, not the input.
 */
export class Sessionizer {
  private readonly active = new Map<string, SessionState>();
  private readonly counters = new Map<string, number>();
  readonly userAgents = new UserAgentTable();
  private readonly byIpAndHost: boolean;

  constructor(
    private readonly opts: SessionizerOptions,
    private readonly emit: (session: WebSession) => void,
  ) {
    this.byIpAndHost = opts.key === "ip+host";
  }

  get activeSessions(): number {
    return this.active.size;
  }

  push(r: WebRequest): void {
    const key = this.byIpAndHost ? `${r.ip} ${r.host ?? ""}` : r.ip;
    const time = this.opts.compat ? Math.floor(r.time) : r.time;
    let s = this.active.get(key);
    if (s !== undefined && time - s.last > this.opts.gapSeconds) {
      this.close(s);
      s = undefined;
    }
    if (s === undefined) {
      s = this.open(key, r, time);
      this.active.set(s.key, s);
    } else {
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
    this.count(s, r);
  }

  /** Closes every session idle for longer than the gap at log time `watermark`. */
  advance(watermark: number): void {
    const limit = watermark - this.opts.gapSeconds;
    for (const s of this.active.values()) if (s.last < limit) this.close(s);
  }

  /** Closes all sessions (end of input). */
  flush(): void {
    for (const s of this.active.values()) this.close(s);
  }

  private open(key: string, r: WebRequest, time: number): SessionState {
    const flatKey = detach(key);
    const number = this.counters.get(flatKey) ?? 0;
    this.counters.set(flatKey, number + 1);
    return {
      key: flatKey,
      ip: this.byIpAndHost ? detach(r.ip) : flatKey,
      host: r.host === null ? null : detach(r.host),
      number,
      first: time,
      last: time,
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
      lastFolder: -1,
      uaIds: [],
      uaCounts: [],
      paths: new Set(),
      queries: new Set(),
    };
  }

  private count(s: SessionState, r: WebRequest): void {
    s.n++;
    s.bytes += r.bytes;
    const status = r.status;
    if (status >= 400) {
      if (status < 500) s.n4xx++;
      else s.n5xx++;
    }
    const m = r.method;
    if (m === "POST") s.post++;
    else if (m === "HEAD") s.head++;
    const path = r.path;
    const depth = slashCount(path);
    s.depthSum += depth;
    s.depthSq += depth * depth;
    s.paths.add(fnv1a(path));
    if (r.query !== null) s.queries.add(fnv1a(r.query));
    switch (requestType(path, r.contentType, this.opts.compat)) {
      case RequestType.Html: {
        s.html++;
        s.htmlDepthSum += depth;
        s.htmlDepthSq += depth * depth;
        const slash = path.lastIndexOf("/");
        // Bothound compared the positions of the last '/', not the folders themselves
        const folder = this.opts.compat ? slash : fnv1a(path.slice(0, slash + 1));
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
    const ua = this.userAgents.id(r.userAgent);
    const ids = s.uaIds;
    const k = ids.indexOf(ua);
    if (k === -1) {
      ids.push(ua);
      s.uaCounts.push(1);
    } else {
      s.uaCounts[k]++;
    }
  }

  private close(s: SessionState): void {
    this.active.delete(s.key);
    const order = s.uaIds.map((_, i) => i).sort((a, b) => s.uaCounts[b] - s.uaCounts[a]);
    this.emit({
      ip: s.ip,
      host: s.host,
      sessionNumber: s.number,
      start: s.first,
      end: s.last,
      requests: s.n,
      features: sessionFeatures(s, this.opts.gapSeconds, this.opts.compat),
      userAgents: order.map((i) => ({ ua: this.userAgents.strings[s.uaIds[i]], requests: s.uaCounts[i] })),
    });
  }
}
