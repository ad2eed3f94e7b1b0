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

/**
 * Streaming sessionizer: push requests in (roughly) time order, advance a watermark to close idle
 * sessions, flush at the end. State is one plain record per active session, so memory follows the
 * number of active sessions, not the input.
 */
export class Sessionizer {
  private readonly active = new Map<string, SessionState>();
  /** Every key seen: its flat copy and how many sessions it had (the next session number). */
  private readonly seen = new Map<string, { key: string; sessions: number }>();
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

  /** Distinct client IPs seen so far. */
  get distinctIps(): number {
    if (!this.byIpAndHost) return this.seen.size;
    return new Set([...this.seen.values()].map((v) => v.key.slice(0, v.key.indexOf(" ")))).size;
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
    let seen = this.seen.get(key);
    if (seen === undefined) {
      seen = { key: detach(key), sessions: 0 };
      this.seen.set(seen.key, seen);
    }
    const flatKey = seen.key;
    const number = seen.sessions++;
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
      lastFolder: -2, // no position (compat: -1 is "no slash") nor hash (>= 0) equals it
      uaIds: [],
      uaCounts: [],
      path0: -1,
      paths: null,
      query0: -1,
      queries: null,
      lastUa: -1,
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
    // one pass over the path: depth, hash of the folder (up to the last '/'), hash of the whole path
    let depth = 0;
    let h = 0x811c9dc5;
    let folderHash = h;
    let lastSlash = -1;
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      h = Math.imul(h ^ c, 0x01000193);
      if (c === 47) {
        depth++;
        folderHash = h;
        lastSlash = i;
      }
    }
    const pathHash = h >>> 0;
    s.depthSum += depth;
    s.depthSq += depth * depth;
    if (s.path0 === -1) s.path0 = pathHash;
    else if (s.paths !== null) s.paths.add(pathHash);
    else if (pathHash !== s.path0) s.paths = new Set([s.path0, pathHash]);
    if (r.query !== null) {
      const q = fnv1a(r.query);
      if (s.query0 === -1) s.query0 = q;
      else if (s.queries !== null) s.queries.add(q);
      else if (q !== s.query0) s.queries = new Set([s.query0, q]);
    }
    switch (requestType(path, r.contentType, this.opts.compat)) {
      case RequestType.Html: {
        s.html++;
        s.htmlDepthSum += depth;
        s.htmlDepthSq += depth * depth;
        // Bothound compared the positions of the last '/', not the folders themselves
        const folder = this.opts.compat ? lastSlash : folderHash >>> 0;
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
    // most sessions keep one user agent: compare with the last one before hashing the string
    const ua =
      s.lastUa !== -1 && this.userAgents.strings[s.lastUa] === r.userAgent
        ? s.lastUa
        : this.userAgents.id(r.userAgent);
    s.lastUa = ua;
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
    const strings = this.userAgents.strings;
    const userAgents =
      s.uaIds.length === 1
        ? [{ ua: strings[s.uaIds[0]], requests: s.uaCounts[0] }]
        : s.uaIds
            .map((id, i) => ({ ua: strings[id], requests: s.uaCounts[i] }))
            .sort((a, b) => b.requests - a.requests);
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
  }
}
