import { AddressIds, canonicalIpv4Range } from "../core/addresses.ts";
import { Interner } from "../core/interner.ts";
import type { WebRequest } from "../ingest/weblog/record.ts";
import { RequestType, typeFromContentType, typeOfExtension } from "./request-type.ts";

/**
 * What the sessionizer needs of one request, as numbers: strings (IP, host, user agent) are ids in the
 * run's tables, the path and query are reduced to hashes and counts. Parsers fill these straight from
 * the log text, so a request costs no allocation; records are pooled and reused.
 */
export interface RequestFacts {
  /** Epoch seconds. */
  time: number;
  ip: number;
  /** Host id, -1 when the log has none. */
  host: number;
  status: number;
  bytes: number;
  method: number;
  /** Slashes in the path. */
  depth: number;
  /** 31-bit hashes of the path and of its folder (up to the last '/'); position of the last '/'. */
  pathHash: number;
  folderHash: number;
  lastSlash: number;
  /** Type from the path's extension. */
  pathType: RequestType;
  /** Type from the response content type, -1 when the log has none. */
  contentType: number;
  /** 31-bit hash of the query string, -1 without one. */
  queryHash: number;
  userAgent: number;
}

export const Method = { Other: 0, Post: 1, Head: 2 } as const;

export function emptyFacts(): RequestFacts {
  return {
    time: Number.NaN,
    ip: -1,
    host: -1,
    status: 0,
    bytes: 0,
    method: Method.Other,
    depth: 0,
    pathHash: 0,
    folderHash: 0,
    lastSlash: -1,
    pathType: RequestType.Html,
    contentType: -1,
    queryHash: -1,
    userAgent: -1,
  };
}

export function resetFacts(f: RequestFacts): RequestFacts {
  f.time = Number.NaN;
  f.ip = -1;
  f.host = -1;
  f.status = 0;
  f.bytes = 0;
  f.method = Method.Other;
  f.depth = 0;
  f.pathHash = 0;
  f.folderHash = 0;
  f.lastSlash = -1;
  f.pathType = RequestType.Html;
  f.contentType = -1;
  f.queryHash = -1;
  f.userAgent = -1;
  return f;
}

/** User agents to ids, in first-seen order, and the strings by id. */
export interface UserAgentTable {
  readonly strings: string[];
  idOf(text: string, start: number, end: number): number;
}

/**
 * The strings behind the ids of one run, shared by its parser and sessionizers. A host id stands for the
 * lower-cased site name, however the log spelled it (so "Example.org" and "example.org" are one site,
 * as WebRequest readers make them).
 */
export class RequestTables {
  readonly ips = new AddressIds();
  /** Site names, lower-cased. */
  readonly hosts = new Interner();
  private agents: UserAgentTable = new Interner();
  /** Spellings of hosts as the log wrote them, and the site id of each. */
  private readonly spelled = new Interner();
  private readonly siteOfSpelling: number[] = [];
  /** The last user agent of each IP: most clients keep theirs, so a comparison saves the hashing. */
  private lastAgent = new Int32Array(1024).fill(-1);

  constructor(readonly compat = false) {}

  get userAgents(): UserAgentTable {
    return this.agents;
  }

  /** Interns user agents in `table` from now on (a reader with its own table: before any is interned). */
  useUserAgents(table: UserAgentTable): void {
    if (this.agents.strings.length > 0) throw new Error("user agents were interned already");
    this.agents = table;
  }

  /** Site id of the host text[start, end) as the log spelled it. */
  hostOf(text: string, start: number, end: number): number {
    const spelling = this.spelled.idOf(text, start, end);
    let site = this.siteOfSpelling[spelling];
    if (site === undefined) {
      site = this.hosts.id(this.spelled.strings[spelling].toLowerCase());
      this.siteOfSpelling[spelling] = site;
    }
    return site;
  }

  /** The site name of a host id, null for none (-1). */
  hostName(id: number): string | null {
    return id < 0 ? null : this.hosts.strings[id];
  }

  /**
   * Id of the client address text[start, end); -1 when it is not an IPv4 address in canonical form and
   * `valid` (when given) rejects it.
   */
  ipOf(
    text: string,
    start: number,
    end: number,
    valid?: (text: string, start: number, end: number) => boolean,
  ): number {
    const v4 = canonicalIpv4Range(text, start, end);
    if (v4 < 0 && valid && !valid(text, start, end)) return -1;
    return this.ips.idOfParsed(v4, text, start, end);
  }

  /** Id of the user agent text[start, end) sent by IP id `ip` (-1 when not known yet). */
  userAgentOf(ip: number, text: string, start: number, end: number): number {
    if (ip >= 0 && ip < this.lastAgent.length) {
      const last = this.lastAgent[ip];
      if (last >= 0) {
        const s = this.agents.strings[last];
        if (s.length === end - start && text.slice(start, end) === s) return last;
      }
    }
    const id = this.agents.idOf(text, start, end);
    if (ip >= 0) {
      if (ip >= this.lastAgent.length) {
        const grown = new Int32Array(Math.max(ip + 1, this.lastAgent.length * 2)).fill(-1);
        grown.set(this.lastAgent);
        this.lastAgent = grown;
      }
      this.lastAgent[ip] = id;
    }
    return id;
  }
}

/** Method code of text[start, end). */
export function methodOf(text: string, start: number, end: number): number {
  if (end - start !== 4) return Method.Other;
  if (text.startsWith("POST", start)) return Method.Post;
  if (text.startsWith("HEAD", start)) return Method.Head;
  return Method.Other;
}

/**
 * Depth, hashes and type of the path text[start, end) in one pass, which stops at a '?' when `query`
 * is set (a request target); returns where the path ended.
 */
function readPath(f: RequestFacts, text: string, start: number, end: number, query: boolean): number {
  let depth = 0;
  let h = 0x811c9dc5;
  let folder = h;
  let lastSlash = -1;
  let lastDot = -1;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 63 && query) break;
    h = Math.imul(h ^ c, 0x01000193);
    if (c === 47) {
      depth++;
      folder = h;
      lastSlash = i;
    } else if (c === 46) lastDot = i;
  }
  f.depth = depth;
  f.pathHash = h & 0x7fffffff;
  f.folderHash = folder & 0x7fffffff;
  // Bothound compared positions of the last '/' within the path (-1: none)
  f.lastSlash = lastSlash < 0 ? -1 : lastSlash - start;
  f.pathType = typeOfExtension(text, lastDot > lastSlash ? lastDot : -1, i);
  return i;
}

/** Depth, hashes and type of the path text[start, end). */
export function setPath(f: RequestFacts, text: string, start: number, end: number): void {
  readPath(f, text, start, end, false);
}

/** 31-bit FNV-1a of text[start, end). */
export function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h & 0x7fffffff;
}

/** Path and query of a request target text[start, end) ("/a/b?x=1"). */
export function setRequestTarget(f: RequestFacts, text: string, start: number, end: number): void {
  const q = readPath(f, text, start, end, true);
  f.queryHash = q < end ? hashRange(text, q + 1, end) : -1;
}

/** The facts of a request some other reader produced (JSON lines, Elasticsearch, tests). */
export function factsOf(r: WebRequest, tables: RequestTables, into: RequestFacts): RequestFacts {
  const f = resetFacts(into);
  f.time = r.time;
  f.ip = tables.ipOf(r.ip, 0, r.ip.length);
  f.host = r.host === null ? -1 : tables.hostOf(r.host, 0, r.host.length);
  f.status = r.status;
  f.bytes = r.bytes;
  f.method = methodOf(r.method, 0, r.method.length);
  setPath(f, r.path, 0, r.path.length);
  f.queryHash = r.query === null ? -1 : hashRange(r.query, 0, r.query.length);
  f.contentType = r.contentType ? typeFromContentType(r.contentType, tables.compat) : -1;
  f.userAgent = tables.userAgentOf(f.ip, r.userAgent, 0, r.userAgent.length);
  return f;
}
