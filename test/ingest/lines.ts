/** Builders of access-log lines for the ingest and web tests: every test generates its own data. */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Common Log Format time ("17/May/2015:10:05:03 +0200") of an epoch second, written in zone `tz`. */
export function clfTime(epochSeconds: number, tz = "+0000"): string {
  const sign = tz[0] === "-" ? -1 : 1;
  const offset = sign * (Number(tz.slice(1, 3)) * 3600 + Number(tz.slice(-2)) * 60);
  const d = new Date((epochSeconds + offset) * 1000);
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${tz}`
  );
}

export interface LineSpec {
  ip: string;
  /** Epoch seconds (whole). */
  time: number;
  method?: string;
  path: string;
  query?: string;
  protocol?: string;
  status?: number;
  bytes?: number | "-";
  referer?: string;
  ua?: string;
  tz?: string;
  host?: string;
}

function request(l: LineSpec): string {
  return `${l.method ?? "GET"} ${l.path}${l.query === undefined ? "" : `?${l.query}`} ${l.protocol ?? "HTTP/1.1"}`;
}

/** Apache/nginx combined line. */
export function combined(l: LineSpec): string {
  return (
    `${l.ip} - - [${clfTime(l.time, l.tz)}] "${request(l)}" ${l.status ?? 200} ${l.bytes ?? 100} ` +
    `"${l.referer ?? "-"}" "${l.ua ?? "Mozilla/5.0 (test)"}"`
  );
}

/** Common Log Format line. */
export function common(l: LineSpec): string {
  return `${l.ip} - - [${clfTime(l.time, l.tz)}] "${request(l)}" ${l.status ?? 200} ${l.bytes ?? 100}`;
}

/** vhost_combined: the site first. */
export function vhostCombined(l: LineSpec): string {
  return `${l.host ?? "example.org"} ${combined(l)}`;
}

/** Small seeded generator (mulberry32) so "random" test data is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Epoch seconds of 2015-05-17T10:05:03Z, the base time of most tests. */
export const T0 = Date.UTC(2015, 4, 17, 10, 5, 3) / 1000;
