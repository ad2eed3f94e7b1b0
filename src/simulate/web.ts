/**
 * Seeded web access-log simulator with ground truth: human visitors, search-engine and SEO crawlers, and
 * botnets attacking the sites (page, login, xmlrpc and cache-busting floods, slow human-like bots).
 *
 * Output is Apache/nginx "combined" format, sorted by time. Several sites share one file; with the
 * default `vhost: false` the lines carry no host, so which site a line belongs to is known only from the
 * truth (`labels[i].site`, `truth.attacks[].site`); shop and news sites have different path sets (see
 * web-sites.ts) but share `/`, `/robots.txt` and attack targets. With `vhost: true` every line starts with
 * the site name (nginx "vhost_combined": `$host $remote_addr - $remote_user [...] ...`).
 *
 * Everything random comes from one `Rng` seeded by `seed`, so one seed always gives the same bytes.
 */
import { open, writeFile } from "node:fs/promises";
import { parseCidr, randomPublicIpv4 } from "../core/net.ts";
import { Rng } from "../core/random.ts";
import {
  BOT_AGENTS,
  BOT_COUNTRIES,
  CRAWLERS,
  type CrawlerKind,
  ENTRY_REFERER_WEIGHTS,
  ENTRY_REFERERS,
  HUMAN_AGENTS,
  HUMAN_COUNTRIES,
} from "./web-agents.ts";
import {
  type Asset,
  assetBytes,
  buildSite,
  crawlPath,
  entryView,
  floodTargets,
  htmlBytes,
  isBrokenAsset,
  nextView,
  notFoundBytes,
  type PageView,
  pickContent,
  robotsAllows,
  type SiteModel,
  pageAssets as sitePageAssets,
  unitHash,
} from "./web-sites.ts";

export interface WebSimOptions {
  seed: number;
  /** ISO time, default "2026-03-02T00:00:00Z" (a Monday). */
  start?: string;
  /** Default 24. */
  hours?: number;
  /** Default ["shop.example.org", "news.example.net"]; even positions are shops, odd ones news sites. */
  sites?: string[];
  /** Mean human sessions starting per hour per site at the daily peak, default 120. */
  visitorsPerHour?: number;
  /** Default: `defaultAttacks(hours, sites)`. Pass [] for clean traffic. */
  attacks?: AttackSpec[];
  /** time_local is written in this offset ("+0200"); the daily rhythm follows it too. Default "+0000". */
  tzOffset?: string;
  /** Prefix each line with the site name (nginx vhost_combined). Default false. */
  vhost?: boolean;
}

export type AttackPattern = "page-flood" | "login-flood" | "xmlrpc-flood" | "cache-bust" | "slow";

export interface AttackSpec {
  /** Botnet id, e.g. "botnet-a". */
  botnet: string;
  site: string;
  /** Hours after start (fractional ok). */
  startHour: number;
  durationMinutes: number;
  bots: number;
  pattern: AttackPattern;
  /** Mean per bot; defaults in DEFAULT_RATE. For `slow`, bots draw their rate in [2/3, 4/3] of it. */
  requestsPerMinutePerBot?: number;
  /** Country code -> weight (a label only: IPs are random public addresses). */
  countries?: Record<string, number>;
  /** Share of bots taken from this botnet's earlier attacks (default 0.6 when it attacked before). */
  reuseShare?: number;
}

export type ActorRole = "human" | "crawler" | "bot";

/**
 * Truth for one line (same index in `lines`). Lines of one human session, one crawler on one site, or
 * one attack share a single label object: treat labels as read-only.
 */
export interface WebRequestLabel {
  site: string;
  role: ActorRole;
  /** Human session number over the run; a returning visitor's second visit has its own number. */
  session?: number;
  /** Crawler name ("Googlebot", ...). */
  crawler?: string;
  botnet?: string;
  /** Attack id in `truth.attacks`. */
  attack?: string;
}

export interface WebActor {
  role: ActorRole;
  botnet?: string;
  country: string;
  /** The actor's agent; absent for bots of botnets that rotate agents on every request. */
  userAgent?: string;
}

export interface WebAttackTruth {
  id: string;
  botnet: string;
  site: string;
  pattern: AttackPattern;
  start: string;
  end: string;
  ips: string[];
  /** Lines written by this attack's bots (all inside [start, end)). */
  requests: number;
}

export interface WebGroundTruth {
  sites: string[];
  start: string;
  end: string;
  /** Keyed by IP. */
  actors: Record<string, WebActor>;
  botnets: Record<string, { ips: string[] }>;
  attacks: WebAttackTruth[];
  /** Total lines written. */
  lines: number;
  linesByRole: { human: number; crawler: number; bot: number };
}

export interface WebSimResult {
  lines: string[];
  truth: WebGroundTruth;
  labels: WebRequestLabel[];
}

const DEFAULT_START = "2026-03-02T00:00:00Z";
const DEFAULT_SITES = ["shop.example.org", "news.example.net"];
const MINUTE = 60_000;
const HOUR = 3_600_000;

export const DEFAULT_RATE: Readonly<Record<AttackPattern, number>> = {
  "page-flood": 8,
  "login-flood": 6,
  "xmlrpc-flood": 8,
  "cache-bust": 6,
  slow: 3,
};

/** Server work per request relative to a cached page: logins and xmlrpc hit PHP and the database. */
const ATTACK_COST: Readonly<Record<AttackPattern, number>> = {
  "page-flood": 1,
  "login-flood": 3,
  "xmlrpc-flood": 3,
  "cache-bust": 2,
  slow: 1,
};

/** Work units per minute a site serves before errors climb. */
const SITE_CAPACITY = 4000;

/** Share of the peak session rate by local hour: night ~17%, peak in the evening. */
const DIURNAL = [
  0.45, 0.3, 0.22, 0.18, 0.16, 0.17, 0.24, 0.38, 0.55, 0.68, 0.75, 0.8, 0.84, 0.82, 0.82, 0.86, 0.9, 0.94,
  0.97, 1.0, 1.0, 0.93, 0.8, 0.62,
];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * The scenario used when `attacks` is undefined, laid out on a 24-hour day: botnet-a floods pages of
 * sites[0] at 10:00, botnet-b floods the login of sites[1] at 14:00, botnet-a returns at 19:00 with a
 * cache-busting flood (60% of its bots reused). Shorter runs scale the start hours and drop attacks
 * that no longer fit.
 */
export function defaultAttacks(hours: number, sites: readonly string[]): AttackSpec[] {
  const other = sites.length > 1 ? sites[1] : sites[0];
  const day: AttackSpec[] = [
    {
      botnet: "botnet-a",
      site: sites[0],
      startHour: 10,
      durationMinutes: 40,
      bots: 150,
      pattern: "page-flood",
    },
    { botnet: "botnet-b", site: other, startHour: 14, durationMinutes: 30, bots: 80, pattern: "login-flood" },
    {
      botnet: "botnet-a",
      site: sites[0],
      startHour: 19,
      durationMinutes: 30,
      bots: 180,
      pattern: "cache-bust",
      reuseShare: 0.6,
    },
  ];
  const scale = Math.min(1, hours / 24);
  return day
    .map((a) => ({ ...a, startHour: a.startHour * scale }))
    .filter((a) => a.startHour + a.durationMinutes / 60 <= hours);
}

interface Resolved {
  seed: number;
  startMs: number;
  totalMs: number;
  hours: number;
  sites: string[];
  visitorsPerHour: number;
  attacks: AttackSpec[];
  tz: string;
  tzMinutes: number;
  vhost: boolean;
}

function resolveOptions(opts: WebSimOptions): Resolved {
  if (!Number.isFinite(opts.seed)) throw new RangeError("seed must be a finite number");
  const start = opts.start ?? DEFAULT_START;
  const startMs = Date.parse(start);
  if (Number.isNaN(startMs)) throw new RangeError(`start is not an ISO time: ${start}`);
  const hours = opts.hours ?? 24;
  if (!(hours > 0)) throw new RangeError("hours must be positive");
  const sites = opts.sites ?? DEFAULT_SITES;
  if (sites.length === 0 || new Set(sites).size !== sites.length || sites.some((s) => !/^[^\s"]+$/.test(s))) {
    throw new RangeError("sites must be distinct non-empty host names");
  }
  const visitorsPerHour = opts.visitorsPerHour ?? 120;
  if (!(visitorsPerHour >= 0)) throw new RangeError("visitorsPerHour must be >= 0");
  const tz = opts.tzOffset ?? "+0000";
  const m = /^([+-])(\d{2})(\d{2})$/.exec(tz);
  if (!m) throw new RangeError(`tzOffset must look like +0200: ${tz}`);
  const tzMinutes = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  const attacks = opts.attacks ?? defaultAttacks(hours, sites);
  for (const [i, a] of attacks.entries()) validateAttack(a, i, hours, sites);
  return {
    seed: opts.seed,
    startMs,
    totalMs: Math.round(hours * HOUR),
    hours,
    sites,
    visitorsPerHour,
    attacks,
    tz,
    tzMinutes,
    vhost: opts.vhost ?? false,
  };
}

function validateAttack(a: AttackSpec, i: number, hours: number, sites: readonly string[]): void {
  const where = `attacks[${i}]`;
  if (!sites.includes(a.site)) throw new RangeError(`${where}.site ${a.site} is not one of the sites`);
  if (!(a.startHour >= 0 && a.startHour < hours))
    throw new RangeError(`${where}.startHour is outside the run`);
  if (!(a.durationMinutes > 0)) throw new RangeError(`${where}.durationMinutes must be positive`);
  if (!(Number.isInteger(a.bots) && a.bots >= 1))
    throw new RangeError(`${where}.bots must be an integer >= 1`);
  if (!(a.pattern in DEFAULT_RATE)) throw new RangeError(`${where}.pattern ${a.pattern} is unknown`);
  const rate = a.requestsPerMinutePerBot;
  if (rate !== undefined && !(rate > 0)) throw new RangeError(`${where}.requestsPerMinutePerBot must be > 0`);
  const reuse = a.reuseShare;
  if (reuse !== undefined && !(reuse >= 0 && reuse <= 1))
    throw new RangeError(`${where}.reuseShare not in [0, 1]`);
}

/** How a botnet's scripts behave, fixed for the botnet across its attacks. */
interface BotnetProfile {
  /** single: every bot one agent; per-bot: each bot one of a few; rotate: a random one per request. */
  uaMode: "single" | "per-bot" | "rotate";
  uas: string[];
  countries: Record<string, number>;
  proto: string;
  /** Referer the flood scripts send: none, the target itself, or a fake search engine. */
  referer: "none" | "self" | "search";
  ips: string[];
}

interface Visitor {
  ip: string;
  ua: string;
  ios: boolean;
  proto: string;
  /** Browser cache: asset paths already fetched. */
  cache: Set<string>;
}

interface AttackRun {
  spec: AttackSpec;
  truth: WebAttackTruth;
  profile: BotnetProfile;
  site: SiteModel;
  fromMs: number;
  toMs: number;
  label: WebRequestLabel;
  bots: { ip: string; ua?: string }[];
}

/** Holds the generated requests as parallel arrays (sorted once at the end) and the truth. */
class Simulation {
  private readonly rng: Rng;
  readonly sites: SiteModel[];
  private readonly t: number[] = [];
  private readonly ip: string[] = [];
  private readonly tail: string[] = [];
  private readonly label: WebRequestLabel[] = [];
  private readonly actors: Record<string, WebActor> = {};
  private readonly usedIps = new Set<string>();
  /** Per site, per minute: probability that the overloaded server answers 502/503. */
  private readonly overload: Float64Array[];
  private readonly botnets = new Map<string, BotnetProfile>();
  private readonly runs: AttackRun[] = [];
  private sessions = 0;

  constructor(private readonly cfg: Resolved) {
    this.rng = new Rng(cfg.seed);
    const siteRng = this.rng.fork("sites");
    this.sites = cfg.sites.map((name, i) => buildSite(name, i, cfg.startMs, siteRng));
    const minutes = Math.ceil(cfg.totalMs / MINUTE);
    this.overload = this.sites.map(() => new Float64Array(minutes));
  }

  run(): WebSimResult {
    this.planAttacks(this.rng.fork("attacks"));
    this.computeOverload();
    this.crawl(this.rng.fork("crawlers"));
    this.humans(this.rng.fork("humans"));
    this.floods(this.rng.fork("floods"));
    return this.finish();
  }

  // ---- requests -------------------------------------------------------------------------------------

  private emit(
    t: number,
    ip: string,
    label: WebRequestLabel,
    request: string,
    status: number,
    bytes: number,
    referer: string,
    ua: string,
  ): void {
    // A log cut at the end of the run: assets of a last-second page are lost, as in a rotated log.
    if (t >= this.cfg.totalMs) return;
    this.t.push(Math.floor(t));
    this.ip.push(ip);
    this.tail.push(`"${request}" ${status} ${bytes} "${referer}" "${ua}"`);
    this.label.push(label);
  }

  private freshIp(rng: Rng, within?: string): string {
    const cidr = within ? parseCidr(within) : undefined;
    for (;;) {
      const ip = randomPublicIpv4(rng, cidr);
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
    }
  }

  private overloadAt(site: SiteModel, t: number): number {
    const series = this.overload[site.index];
    return series[Math.min(series.length - 1, Math.floor(t / MINUTE))];
  }

  /** 502/503 (mostly 503) when the server is overloaded, else `ok`. */
  private underLoad(rng: Rng, site: SiteModel, t: number, share: number, ok: number): number {
    if (!rng.chance(this.overloadAt(site, t) * share)) return ok;
    return rng.chance(0.7) ? 503 : 502;
  }

  // ---- humans ---------------------------------------------------------------------------------------

  private humans(rng: Rng): void {
    const countries = Object.keys(HUMAN_COUNTRIES);
    const countryWeights = Object.values(HUMAN_COUNTRIES);
    const agentWeights = HUMAN_AGENTS.map((a) => a.weight);
    const minutes = Math.ceil(this.cfg.totalMs / MINUTE);
    for (const site of this.sites) {
      for (let m = 0; m < minutes; m++) {
        const rate = (this.cfg.visitorsPerHour * this.diurnal(m * MINUTE + 30_000)) / 60;
        const arrivals = rng.poisson(rate);
        for (let k = 0; k < arrivals; k++) {
          const start = m * MINUTE + rng.int(MINUTE);
          if (start >= this.cfg.totalMs) continue;
          const agent = rng.weighted(HUMAN_AGENTS, agentWeights);
          const visitor: Visitor = {
            ip: this.freshIp(rng),
            ua: agent.ua,
            ios: agent.ios === true,
            proto: rng.chance(0.6) ? "HTTP/2.0" : "HTTP/1.1",
            cache: new Set(),
          };
          this.actors[visitor.ip] = {
            role: "human",
            country: rng.weighted(countries, countryWeights),
            userAgent: agent.ua,
          };
          const last = this.session(rng, site, visitor, start);
          // Some visitors come back later that day: same IP, warm cache, a gap well over 30 minutes.
          if (rng.chance(0.2)) {
            const again = last + 31 * MINUTE + rng.exponential(3 * HOUR);
            if (again < this.cfg.totalMs) this.session(rng, site, visitor, again);
          }
        }
      }
    }
  }

  /** Local-time share of the peak rate, linearly interpolated between hours. */
  private diurnal(t: number): number {
    const local = (this.cfg.startMs + t + this.cfg.tzMinutes * MINUTE) / HOUR;
    const h = ((local % 24) + 24) % 24;
    const i = Math.floor(h);
    const f = h - i;
    return DIURNAL[i] * (1 - f) + DIURNAL[(i + 1) % 24] * f;
  }

  /** One visit: a geometric number of navigations with log-normal think times. Returns its last time. */
  private session(rng: Rng, site: SiteModel, v: Visitor, start: number): number {
    const label: WebRequestLabel = { site: site.name, role: "human", session: this.sessions++ };
    const views = rng.geometric(5);
    let referer = rng.weighted(ENTRY_REFERERS, ENTRY_REFERER_WEIGHTS);
    let view = entryView(rng, site);
    let t = start;
    let last = start;
    for (let i = 0; i < views && t < this.cfg.totalMs; i++) {
      const r = this.navigate(rng, site, v, label, view, t, referer);
      last = r.last;
      referer = `${site.origin}${r.page}`;
      // Capped so that one visit stays one session for a 30-minute-gap sessionizer.
      t = last + Math.min(20 * MINUTE, rng.logNormal(25_000, 0.9));
      view = nextView(rng, site, r.page);
    }
    return last;
  }

  /** A navigation: a page (with assets), or a form POST, its redirect and the page it lands on. */
  private navigate(
    rng: Rng,
    site: SiteModel,
    v: Visitor,
    label: WebRequestLabel,
    view: PageView,
    t: number,
    referer: string,
  ): { last: number; page: string } {
    if (view.method === "GET")
      return { last: this.page(rng, site, v, label, view, t, referer), page: view.path };
    let formPage = referer.startsWith(site.origin) ? referer.slice(site.origin.length) : "/";
    if (view.path === site.loginPath) {
      // A login starts on the login form; typing takes a while.
      t = this.page(rng, site, v, label, { method: "GET", path: site.loginPath }, t, referer);
      t += rng.uniform(6_000, 25_000);
      formPage = site.loginPath;
    }
    const formUrl = `${site.origin}${formPage}`;
    const failedLogin = view.path === site.loginPath && rng.chance(0.2);
    let status = this.underLoad(rng, site, t, 1, failedLogin ? 200 : 302);
    if (status === 302 && rng.chance(0.004)) status = 500;
    const bytes =
      status === 200 ? htmlBytes(rng, site, site.loginPath) : status === 302 ? 0 : errorBytes(status);
    this.emit(t, v.ip, label, `POST ${view.path} ${v.proto}`, status, bytes, formUrl, v.ua);
    if (status !== 302 || !view.redirectTo) return { last: t, page: formPage };
    const target: PageView = { method: "GET", path: view.redirectTo };
    return {
      last: this.page(rng, site, v, label, target, t + rng.uniform(80, 400), formUrl),
      page: target.path,
    };
  }

  /** GET of an HTML page followed within 2 s by the assets the browser does not have cached. */
  private page(
    rng: Rng,
    site: SiteModel,
    v: Visitor,
    label: WebRequestLabel,
    view: PageView,
    t: number,
    referer: string,
  ): number {
    let status = view.missing ? 404 : 200;
    if (status === 200 && rng.chance(0.004)) status = 500;
    status = this.underLoad(rng, site, t, 1, status);
    const bytes =
      status === 200
        ? htmlBytes(rng, site, view.path)
        : status === 404
          ? notFoundBytes(site)
          : errorBytes(status);
    this.emit(t, v.ip, label, `GET ${view.path} ${v.proto}`, status, bytes, referer, v.ua);
    if (status !== 200 && status !== 404) return t;
    const pageUrl = `${site.origin}${view.path}`;
    let last = t;
    let own = 0;
    for (const asset of assetsFor(site, view.path, view.missing === true)) {
      // Images below the fold are lazy-loaded: fetched only when the visitor scrolls down.
      if (!asset.shared && own++ >= 3 && rng.chance(0.4)) continue;
      const at = t + assetDelay(rng, asset);
      if (this.asset(rng, site, v, label, asset, at, pageUrl)) last = Math.max(last, at);
    }
    last = Math.max(last, this.icons(rng, site, v, label, t, pageUrl));
    return last;
  }

  /** Returns whether a request was made (cached assets often are not requested at all). */
  private asset(
    rng: Rng,
    site: SiteModel,
    v: Visitor,
    label: WebRequestLabel,
    asset: Asset,
    t: number,
    pageUrl: string,
  ): boolean {
    const cached = v.cache.has(asset.path);
    if (cached && rng.chance(asset.shared ? 0.8 : 0.6)) return false;
    v.cache.add(asset.path);
    let status = isBrokenAsset(site, asset.path) ? 404 : cached ? 304 : 200;
    status = this.underLoad(rng, site, t, 0.25, status);
    const bytes =
      status === 200
        ? assetBytes(site, asset)
        : status === 304
          ? 0
          : status === 404
            ? 153
            : errorBytes(status);
    this.emit(t, v.ip, label, `GET ${asset.path} ${v.proto}`, status, bytes, pageUrl, v.ua);
    return true;
  }

  /** favicon.ico once per visitor; iOS also asks for a touch icon the sites lack. */
  private icons(
    rng: Rng,
    site: SiteModel,
    v: Visitor,
    label: WebRequestLabel,
    t: number,
    pageUrl: string,
  ): number {
    let last = t;
    if (!v.cache.has("/favicon.ico") && rng.chance(0.9)) {
      v.cache.add("/favicon.ico");
      const at = t + rng.uniform(300, 1500);
      const icon: Asset = { path: "/favicon.ico", kind: "icon", shared: true };
      this.emit(at, v.ip, label, `GET /favicon.ico ${v.proto}`, 200, assetBytes(site, icon), pageUrl, v.ua);
      last = at;
    }
    if (v.ios && !v.cache.has("/apple-touch-icon.png")) {
      v.cache.add("/apple-touch-icon.png");
      const at = t + rng.uniform(400, 1800);
      this.emit(at, v.ip, label, `GET /apple-touch-icon.png ${v.proto}`, 404, 153, "-", v.ua);
      last = Math.max(last, at);
    }
    return last;
  }

  // ---- crawlers -------------------------------------------------------------------------------------

  private crawl(rng: Rng): void {
    for (const kind of CRAWLERS) {
      for (let k = 0; k < kind.ips; k++) {
        const ip = this.freshIp(rng, rng.pick(kind.cidrs));
        this.actors[ip] = { role: "crawler", country: kind.country, userAgent: kind.uas[0] };
        for (const site of this.sites) this.crawlSite(rng, kind, ip, site);
      }
    }
  }

  /** Runs spaced so that the crawler as a whole visits every `everyHours`; each run reads robots.txt first. */
  private crawlSite(rng: Rng, kind: CrawlerKind, ip: string, site: SiteModel): void {
    const label: WebRequestLabel = { site: site.name, role: "crawler", crawler: kind.name };
    const every = kind.everyHours * kind.ips * HOUR;
    const robotsBytes = 180 + site.robotsDisallow.join("").length * 2;
    for (let run = rng.uniform(0, every); run < this.cfg.totalMs; run += every * rng.uniform(0.8, 1.2)) {
      const ua = kind.uas.length > 1 && rng.chance(0.75) ? kind.uas[1] : kind.uas[0];
      let t = run;
      this.emit(t, ip, label, "GET /robots.txt HTTP/1.1", 200, robotsBytes, "-", ua);
      const pages = rng.intBetween(kind.pagesPerRun[0], kind.pagesPerRun[1]);
      for (let i = 0; i < pages; i++) {
        t += kind.intervalSeconds * 1000 * rng.uniform(0.85, 1.15);
        if (t >= this.cfg.totalMs) return;
        const view = crawlPath(rng, site);
        if (kind.obeysRobots && !robotsAllows(site, view.path)) continue;
        const status = this.underLoad(rng, site, t, 1, view.missing ? 404 : rng.chance(0.08) ? 304 : 200);
        const bytes = crawlBytes(rng, site, view.path, status);
        this.emit(t, ip, label, `GET ${view.path} HTTP/1.1`, status, bytes, "-", ua);
      }
    }
  }

  // ---- attacks --------------------------------------------------------------------------------------

  /** Orders attacks by start, picks each one's bots (reusing the botnet's earlier ones) and labels them. */
  private planAttacks(rng: Rng): void {
    const specs = this.cfg.attacks.map((spec, i) => ({ spec, i }));
    specs.sort((a, b) => a.spec.startHour - b.spec.startHour || a.i - b.i);
    for (const { spec } of specs) {
      const profile = this.profile(rng, spec.botnet);
      const site = this.sites[this.cfg.sites.indexOf(spec.site)];
      const fromMs = Math.round(spec.startHour * HOUR);
      const toMs = Math.min(this.cfg.totalMs, fromMs + Math.round(spec.durationMinutes * MINUTE));
      const id = `attack-${this.runs.length + 1}`;
      const bots = this.recruit(rng, spec, profile);
      const truth: WebAttackTruth = {
        id,
        botnet: spec.botnet,
        site: spec.site,
        pattern: spec.pattern,
        start: new Date(this.cfg.startMs + fromMs).toISOString(),
        end: new Date(this.cfg.startMs + toMs).toISOString(),
        ips: bots.map((b) => b.ip),
        requests: 0,
      };
      const label: WebRequestLabel = { site: spec.site, role: "bot", botnet: spec.botnet, attack: id };
      this.runs.push({ spec, truth, profile, site, fromMs, toMs, label, bots });
    }
  }

  private profile(rng: Rng, botnet: string): BotnetProfile {
    let p = this.botnets.get(botnet);
    if (p) return p;
    const mode = rng.weighted(["single", "per-bot", "rotate"] as const, [0.45, 0.3, 0.25]);
    const uas = rng.sample(BOT_AGENTS, mode === "single" ? 1 : rng.intBetween(3, 5));
    const countries: Record<string, number> = {};
    for (const c of rng.sample(BOT_COUNTRIES, rng.intBetween(4, 7)))
      countries[c] = Math.round(rng.uniform(1, 10));
    p = {
      uaMode: mode,
      uas,
      countries,
      proto: rng.chance(0.7) ? "HTTP/1.1" : "HTTP/1.0",
      referer: rng.weighted(["none", "self", "search"] as const, [0.5, 0.3, 0.2]),
      ips: [],
    };
    this.botnets.set(botnet, p);
    return p;
  }

  private recruit(rng: Rng, spec: AttackSpec, p: BotnetProfile): { ip: string; ua?: string }[] {
    const share = spec.reuseShare ?? (p.ips.length > 0 ? 0.6 : 0);
    const reused = rng.sample(p.ips, Math.round(share * spec.bots));
    const bots = reused.map((ip) => ({ ip, ua: this.actors[ip].userAgent }));
    const weights = spec.countries ?? p.countries;
    const codes = Object.keys(weights);
    const codeWeights = Object.values(weights);
    while (bots.length < spec.bots) {
      const ip = this.freshIp(rng);
      const ua = p.uaMode === "rotate" ? undefined : p.uaMode === "single" ? p.uas[0] : rng.pick(p.uas);
      const actor: WebActor = { role: "bot", botnet: spec.botnet, country: rng.weighted(codes, codeWeights) };
      if (ua) actor.userAgent = ua;
      this.actors[ip] = actor;
      p.ips.push(ip);
      bots.push({ ip, ua });
    }
    return bots;
  }

  /** Expected attack work per minute and site, turned into a saturating error probability. */
  private computeOverload(): void {
    for (const r of this.runs) {
      const rate = r.spec.requestsPerMinutePerBot ?? DEFAULT_RATE[r.spec.pattern];
      const work = r.spec.bots * rate * ATTACK_COST[r.spec.pattern];
      const series = this.overload[r.site.index];
      for (let m = Math.floor(r.fromMs / MINUTE); m < Math.ceil(r.toMs / MINUTE) && m < series.length; m++) {
        series[m] += work;
      }
    }
    for (const series of this.overload) {
      for (let m = 0; m < series.length; m++) {
        const load = series[m] / SITE_CAPACITY;
        series[m] = (0.6 * load * load) / (1 + load * load);
      }
    }
  }

  private floods(rng: Rng): void {
    for (const r of this.runs) {
      const pattern = r.spec.pattern;
      const targets = floodTargets(rng, r.site);
      const bust = rng.int(3);
      for (const bot of r.bots) {
        const before = this.t.length;
        this.botRequests(rng, r, bot, (t, prev) =>
          this.attackRequest(rng, r, pattern, targets, bust, t, prev),
        );
        r.truth.requests += this.t.length - before;
      }
    }
  }

  /** One bot's request times: it joins and leaves within the ramps at the window edges. */
  private botRequests(
    rng: Rng,
    r: AttackRun,
    bot: { ip: string; ua?: string },
    request: (t: number, prev: string) => { request: string; status: number; bytes: number; referer: string },
  ): void {
    const mean = r.spec.requestsPerMinutePerBot ?? DEFAULT_RATE[r.spec.pattern];
    const slow = r.spec.pattern === "slow";
    const rpm = slow ? rng.uniform((mean * 2) / 3, (mean * 4) / 3) : mean * rng.logNormal(1, 0.25);
    const interval = MINUTE / rpm;
    const ramp = Math.min(2 * MINUTE, 0.1 * (r.toMs - r.fromMs));
    const leave = r.toMs - rng.uniform(0, ramp);
    let t = r.fromMs + rng.uniform(0, ramp) + rng.uniform(0, interval);
    let prev = "/";
    while (t < leave) {
      const q = request(t, prev);
      const ua = bot.ua ?? rng.pick(r.profile.uas);
      this.emit(t, bot.ip, r.label, q.request, q.status, q.bytes, q.referer, ua);
      prev = q.request.split(" ")[1];
      // Slow bots pace themselves like readers; flood scripts fire with little jitter.
      t += slow ? interval * rng.uniform(0.6, 1.4) : rng.logNormal(interval * 0.94, 0.35);
    }
  }

  private attackRequest(
    rng: Rng,
    r: AttackRun,
    pattern: AttackPattern,
    targets: string[],
    bust: number,
    t: number,
    prev: string,
  ): { request: string; status: number; bytes: number; referer: string } {
    const site = r.site;
    const proto = r.profile.proto;
    const referer =
      r.profile.referer === "none"
        ? "-"
        : r.profile.referer === "self"
          ? `${site.origin}/`
          : "https://www.google.com/";
    switch (pattern) {
      case "page-flood": {
        const path = rng.chance(0.6) ? "/" : rng.pick(targets);
        const status = this.underLoad(rng, site, t, 1, 200);
        return {
          request: `GET ${path} ${proto}`,
          status,
          bytes: pageOrError(rng, site, path, status),
          referer,
        };
      }
      case "cache-bust": {
        const path = `/?${bustQuery(rng, bust, this.cfg.startMs + t)}`;
        const status = this.underLoad(rng, site, t, 1, 200);
        return {
          request: `GET ${path} ${proto}`,
          status,
          bytes: pageOrError(rng, site, "/", status),
          referer,
        };
      }
      case "login-flood": {
        const status = this.underLoad(rng, site, t, 1, rng.chance(0.35) ? 403 : 200);
        const bytes =
          status === 200 ? htmlBytes(rng, site, site.loginPath) : status === 403 ? 564 : errorBytes(status);
        const ref = r.profile.referer === "none" ? "-" : `${site.origin}${site.loginPath}`;
        return { request: `POST ${site.loginPath} ${proto}`, status, bytes, referer: ref };
      }
      case "xmlrpc-flood": {
        const status = this.underLoad(rng, site, t, 1, site.kind === "news" ? 200 : 404);
        const bytes =
          status === 200 ? 370 + rng.int(60) : status === 404 ? notFoundBytes(site) : errorBytes(status);
        return { request: `POST /xmlrpc.php ${proto}`, status, bytes, referer: "-" };
      }
      case "slow": {
        // Reads like a visitor (content, listings, links from the previous page) but never loads assets.
        let view = nextView(rng, site, prev);
        if (view.method !== "GET") view = { method: "GET", path: pickContent(rng, site) };
        const status = this.underLoad(rng, site, t, 1, view.missing ? 404 : 200);
        const bytes = status === 404 ? notFoundBytes(site) : pageOrError(rng, site, view.path, status);
        return { request: `GET ${view.path} ${proto}`, status, bytes, referer: `${site.origin}${prev}` };
      }
    }
  }

  // ---- output ---------------------------------------------------------------------------------------

  private finish(): WebSimResult {
    const n = this.t.length;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const t = this.t;
    order.sort((a, b) => t[a] - t[b] || a - b);
    const clock = new ClfClock(this.cfg.startMs, this.cfg.tzMinutes, this.cfg.tz);
    const lines = new Array<string>(n);
    const labels = new Array<WebRequestLabel>(n);
    const linesByRole = { human: 0, crawler: 0, bot: 0 };
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const label = this.label[i];
      const host = this.cfg.vhost ? `${label.site} ` : "";
      lines[k] = `${host}${this.ip[i]} - - [${clock.format(t[i])}] ${this.tail[i]}`;
      labels[k] = label;
      linesByRole[label.role]++;
    }
    const botnets: Record<string, { ips: string[] }> = {};
    for (const [id, p] of this.botnets) botnets[id] = { ips: p.ips };
    const truth: WebGroundTruth = {
      sites: this.cfg.sites.slice(),
      start: new Date(this.cfg.startMs).toISOString(),
      end: new Date(this.cfg.startMs + this.cfg.totalMs).toISOString(),
      actors: this.actors,
      botnets,
      attacks: this.runs.map((r) => r.truth),
      lines: n,
      linesByRole,
    };
    return { lines, truth, labels };
  }
}

/** Formats `[time_local]` ("02/Mar/2026:10:15:03 +0000"), reusing the text within one second. */
class ClfClock {
  private second = -1;
  private text = "";

  constructor(
    private readonly startMs: number,
    private readonly tzMinutes: number,
    private readonly tz: string,
  ) {}

  format(offsetMs: number): string {
    const second = Math.floor((this.startMs + offsetMs) / 1000);
    if (second !== this.second) {
      this.second = second;
      const d = new Date(second * 1000 + this.tzMinutes * MINUTE);
      this.text =
        `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
        `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${this.tz}`;
    }
    return this.text;
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const assetCache = new WeakMap<SiteModel, Map<string, Asset[]>>();

/** Asset lists are derived from the path alone, so they are memoised per site. */
function assetsFor(site: SiteModel, path: string, missing: boolean): Asset[] {
  let bySite = assetCache.get(site);
  if (!bySite) {
    bySite = new Map();
    assetCache.set(site, bySite);
  }
  const key = missing ? `404:${path}` : path;
  let list = bySite.get(key);
  if (!list) {
    list = sitePageAssets(site, path, missing);
    bySite.set(key, list);
  }
  return list;
}

/** Browsers fetch stylesheets first, then scripts, then images, all within about 2 s. */
function assetDelay(rng: Rng, asset: Asset): number {
  if (asset.kind === "css") return rng.uniform(40, 500);
  if (asset.kind === "js") return rng.uniform(80, 900);
  return rng.uniform(200, 2000);
}

/** Bodies of error responses: nginx's built-in 502/503/504 pages, the application's 500 page. */
function errorBytes(status: number): number {
  if (status === 502) return 157;
  if (status === 503) return 197;
  if (status === 504) return 167;
  return 1_384;
}

function pageOrError(rng: Rng, site: SiteModel, path: string, status: number): number {
  return status === 200 ? htmlBytes(rng, site, path) : errorBytes(status);
}

function crawlBytes(rng: Rng, site: SiteModel, path: string, status: number): number {
  if (status === 304) return 0;
  if (status === 404) return notFoundBytes(site);
  if (status !== 200) return errorBytes(status);
  if (path === "/sitemap.xml") return Math.round(12_000 + unitHash(`${site.name}#sitemap`) * 30_000);
  return htmlBytes(rng, site, path);
}

/** Cache-busting query strings in three common styles: random key, jQuery-style timestamp, word=number. */
function bustQuery(rng: Rng, style: number, epochMs: number): string {
  if (style === 0) {
    let key = "";
    const n = rng.intBetween(5, 10);
    for (let i = 0; i < n; i++) key += "abcdefghijklmnopqrstuvwxyz0123456789"[rng.int(36)];
    return `${key}=${rng.int(1_000_000)}`;
  }
  if (style === 1) return `_=${Math.floor(epochMs) + rng.int(1000)}`;
  return `${rng.pick(["id", "page", "q", "v", "cb"])}=${rng.int(100_000_000)}`;
}

/** Generates a simulated access log and its ground truth. */
export function simulateWeb(opts: WebSimOptions): WebSimResult {
  return new Simulation(resolveOptions(opts)).run();
}

/** Writes lines (newline-terminated) to outPath, and truth JSON (pretty, 2 spaces) to labelsPath. */
export async function writeWebSimulation(
  opts: WebSimOptions,
  outPath: string,
  labelsPath: string,
): Promise<WebGroundTruth> {
  const { lines, truth } = simulateWeb(opts);
  const file = await open(outPath, "w");
  try {
    const chunk = 8192;
    for (let i = 0; i < lines.length; i += chunk) {
      await file.write(`${lines.slice(i, i + chunk).join("\n")}\n`);
    }
  } finally {
    await file.close();
  }
  await writeFile(labelsPath, `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}
