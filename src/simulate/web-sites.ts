/**
 * The simulated sites: their pages, assets and response sizes, and how a visitor moves between pages.
 * Sites alternate between two kinds so that their path sets differ: an online shop (`/products/..`, `/c/..`,
 * `/static/..`) and a WordPress news site (`/2026/02/17/slug/`, `/category/../`, `/wp-content/..`). Only
 * `/`, `/robots.txt`, `/favicon.ico`, `/sitemap.xml` and attack targets such as `/xmlrpc.php` are shared.
 * Sizes and broken images are derived from a hash of site and path, so one URL always has one size.
 */
import { hashString, type Rng } from "../core/random.ts";

export type SiteKind = "shop" | "news";
export type AssetKind = "css" | "js" | "image" | "icon";

export interface Asset {
  path: string;
  kind: AssetKind;
  /** Shared by every page (logo, stylesheet): cached by the browser after the first page. */
  shared: boolean;
}

/** One navigation: a GET of a page, or a form POST answered with a redirect. */
export interface PageView {
  method: "GET" | "POST";
  path: string;
  /** Where a POST redirects (302); the browser then GETs it. */
  redirectTo?: string;
  /** A dead link: the site answers 404 with its themed error page. */
  missing?: boolean;
}

export interface SiteModel {
  name: string;
  index: number;
  kind: SiteKind;
  origin: string;
  loginPath: string;
  robotsDisallow: readonly string[];
  /** Content pages (products or articles), most popular first. */
  content: string[];
  contentSet: ReadonlySet<string>;
  contentPick: ZipfPicker;
  listings: string[];
  staticPages: string[];
  css: string[];
  js: string[];
  sharedImages: string[];
  words: readonly string[];
}

const WORDS = [
  "red",
  "blue",
  "green",
  "winter",
  "summer",
  "classic",
  "smart",
  "mini",
  "pro",
  "wireless",
  "leather",
  "wooden",
  "steel",
  "city",
  "river",
  "market",
  "energy",
  "climate",
  "election",
  "budget",
  "vote",
  "health",
  "school",
  "music",
  "film",
  "football",
  "tennis",
  "space",
  "ocean",
  "forest",
  "coffee",
  "garden",
  "kitchen",
  "travel",
  "price",
  "policy",
  "court",
  "storm",
  "bridge",
  "festival",
  "report",
  "review",
  "guide",
  "deal",
] as const;
const SHOP_CATEGORIES = [
  "shoes",
  "jackets",
  "bags",
  "watches",
  "toys",
  "kitchen",
  "garden",
  "books",
  "audio",
  "phones",
  "laptops",
  "sport",
];
const NEWS_SECTIONS = ["world", "politics", "business", "tech", "science", "sport", "culture", "opinion"];
const AUTHORS = ["anna-keller", "james-okoro", "li-wei", "maria-santos", "tom-becker", "sara-lind"];

/** Picks indices 0..n-1 with Zipf-like popularity (s = 0.9) by binary search over cumulative weights. */
export class ZipfPicker {
  private readonly cumulative: Float64Array;

  constructor(n: number, s = 0.9) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += 1 / (i + 1) ** s;
      this.cumulative[i] = total;
    }
  }

  pick(rng: Rng): number {
    const c = this.cumulative;
    const r = rng.next() * c[c.length - 1];
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** A stable number in [0, 1) for a text (site + path + purpose). */
export function unitHash(text: string): number {
  return hashString(text) / 4294967296;
}

function logUniform(u: number, lo: number, hi: number): number {
  return Math.round(lo * (hi / lo) ** u);
}

function slug(rng: Rng, words: number): string {
  const parts: string[] = [];
  for (let i = 0; i < words; i++) parts.push(rng.pick(WORDS));
  return parts.join("-");
}

function hex(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[rng.int(16)];
  return s;
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function buildSite(name: string, index: number, startMs: number, rng: Rng): SiteModel {
  return index % 2 === 0 ? buildShop(name, index, rng) : buildNews(name, index, startMs, rng);
}

function buildShop(name: string, index: number, rng: Rng): SiteModel {
  const ids = new Set<number>();
  while (ids.size < 400) ids.add(rng.intBetween(1000, 99999));
  const content = [...ids].map((id) => `/products/${id}`);
  return {
    name,
    index,
    kind: "shop",
    origin: `https://${name}`,
    loginPath: "/login",
    robotsDisallow: ["/cart", "/checkout", "/account", "/login", "/search"],
    content,
    contentSet: new Set(content),
    contentPick: new ZipfPicker(content.length),
    listings: SHOP_CATEGORIES.map((c) => `/c/${c}`),
    staticPages: ["/about", "/contact", "/help/shipping", "/help/returns"],
    css: [`/static/css/main.${hex(rng, 8)}.css`, `/static/css/vendor.${hex(rng, 8)}.css`],
    js: [`/static/js/vendor.${hex(rng, 8)}.js`, `/static/js/app.${hex(rng, 8)}.js`],
    sharedImages: ["/static/img/logo.svg", "/static/img/icons/cart.svg"],
    words: WORDS,
  };
}

function buildNews(name: string, index: number, startMs: number, rng: Rng): SiteModel {
  const content: string[] = [];
  const seen = new Set<string>();
  while (content.length < 300) {
    // Recent articles are the popular ones: the list is built newest first.
    const ageDays = Math.floor(content.length / 6 + rng.next() * 2);
    const d = new Date(startMs - (ageDays + 1) * 86_400_000);
    const path = `/${d.getUTCFullYear()}/${twoDigits(d.getUTCMonth() + 1)}/${twoDigits(d.getUTCDate())}/${slug(rng, rng.intBetween(3, 6))}/`;
    if (seen.has(path)) continue;
    seen.add(path);
    content.push(path);
  }
  const ver = `${rng.intBetween(1, 3)}.${rng.intBetween(0, 9)}.${rng.intBetween(0, 9)}`;
  return {
    name,
    index,
    kind: "news",
    origin: `https://${name}`,
    loginPath: "/wp-login.php",
    robotsDisallow: ["/wp-admin/", "/wp-login.php", "/?s="],
    content,
    contentSet: new Set(content),
    contentPick: new ZipfPicker(content.length, 1.0),
    listings: [
      ...NEWS_SECTIONS.map((s) => `/category/${s}/`),
      ...AUTHORS.map((a) => `/author/${a}/`),
      ...WORDS.slice(16, 28).map((t) => `/tag/${t}/`),
    ],
    staticPages: ["/about/", "/contact/", "/newsletter/"],
    css: [
      `/wp-content/themes/newsroom/style.css?ver=${ver}`,
      "/wp-includes/css/dist/block-library/style.min.css?ver=6.7.2",
    ],
    js: [
      "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1",
      `/wp-content/themes/newsroom/js/main.js?ver=${ver}`,
    ],
    sharedImages: [
      "/wp-content/themes/newsroom/images/logo.png",
      "/wp-content/themes/newsroom/images/sprite.svg",
    ],
    words: WORDS,
  };
}

export function pickContent(rng: Rng, site: SiteModel): string {
  return site.content[site.contentPick.pick(rng)];
}

export function searchPath(rng: Rng, site: SiteModel): string {
  const q = rng.chance(0.5) ? rng.pick(site.words) : `${rng.pick(site.words)}+${rng.pick(site.words)}`;
  return site.kind === "shop" ? `/search?q=${q}` : `/?s=${q}`;
}

/** The first page of a session. */
export function entryView(rng: Rng, site: SiteModel): PageView {
  const r = rng.next();
  if (r < 0.35) return { method: "GET", path: "/" };
  if (r < 0.8) return { method: "GET", path: pickContent(rng, site) };
  if (r < 0.93) return { method: "GET", path: rng.pick(site.listings) };
  if (r < 0.97) return { method: "GET", path: searchPath(rng, site) };
  return { method: "GET", path: rng.pick(site.staticPages) };
}

/** The next navigation of a visitor who is on `prev`. */
export function nextView(rng: Rng, site: SiteModel, prev: string): PageView {
  if (rng.chance(0.04)) return { method: "GET", path: deadLink(rng, site), missing: true };
  const onContent = prev.startsWith("/products/") || /^\/\d{4}\//.test(prev);
  if (onContent && rng.chance(0.06)) return formPost(rng, site, prev);
  if (rng.chance(0.015)) return loginPost(site);
  const r = rng.next();
  if (r < 0.55) {
    const path = pickContent(rng, site);
    // Shops tag internal links, which makes product URLs carry a query now and then.
    if (site.kind === "shop" && rng.chance(0.25))
      return { method: "GET", path: `${path}?ref=${refTag(prev)}` };
    return { method: "GET", path };
  }
  if (r < 0.78) return { method: "GET", path: rng.pick(site.listings) };
  if (r < 0.88) return { method: "GET", path: "/" };
  if (r < 0.95) return { method: "GET", path: searchPath(rng, site) };
  if (site.kind === "shop" && r < 0.98)
    return { method: "GET", path: rng.chance(0.7) ? "/cart" : "/account" };
  return { method: "GET", path: rng.pick(site.staticPages) };
}

function refTag(prev: string): string {
  if (prev === "/") return "home";
  if (prev.startsWith("/c/")) return "category";
  if (prev.startsWith("/search")) return "search";
  return "related";
}

/** Add to cart on a shop, a comment on a news article. */
function formPost(rng: Rng, site: SiteModel, prev: string): PageView {
  if (site.kind === "shop") {
    const redirectTo = rng.chance(0.3) ? "/checkout" : "/cart";
    return { method: "POST", path: "/cart/add", redirectTo };
  }
  return { method: "POST", path: "/wp-comments-post.php", redirectTo: prev };
}

function loginPost(site: SiteModel): PageView {
  return site.kind === "shop"
    ? { method: "POST", path: "/login", redirectTo: "/account" }
    : { method: "POST", path: "/wp-login.php", redirectTo: "/wp-admin/" };
}

function deadLink(rng: Rng, site: SiteModel): string {
  if (site.kind === "shop") return `/products/${rng.intBetween(100, 999)}`;
  return `/2024/${twoDigits(rng.intBetween(1, 12))}/${twoDigits(rng.intBetween(1, 28))}/${slug(rng, 3)}/`;
}

/** Assets a browser loads for a page: stylesheets, scripts, 3-10 images. */
export function pageAssets(site: SiteModel, path: string, missing: boolean): Asset[] {
  const assets: Asset[] = [];
  for (const p of site.css) assets.push({ path: p, kind: "css", shared: true });
  for (const p of site.js) assets.push({ path: p, kind: "js", shared: true });
  for (const p of site.sharedImages) assets.push({ path: p, kind: "image", shared: true });
  if (missing) return assets;
  const h = hashString(`${site.name}${path}#images`);
  const own = 1 + (h % 8);
  for (let i = 0; i < own; i++)
    assets.push({ path: pageImage(site, path, i, h), kind: "image", shared: false });
  return assets;
}

function pageImage(site: SiteModel, path: string, i: number, h: number): string {
  const base = path.split("?")[0];
  if (site.kind === "shop") {
    if (base.startsWith("/products/")) return `/images/products/${base.slice(10)}-${i + 1}.jpg`;
    const id = 1000 + ((h + i * 7919) % 98999);
    return `/images/products/${id}-thumb.webp`;
  }
  const article = base.match(/^\/(\d{4})\/(\d{2})\/\d{2}\/([^/]+)\/$/);
  if (article) return `/wp-content/uploads/${article[1]}/${article[2]}/${article[3]}-${i + 1}-1024x576.jpg`;
  const thumb = site.content[(h + i * 31) % site.content.length].split("/");
  return `/wp-content/uploads/${thumb[1]}/${thumb[2]}/${thumb[4]}-1-300x200.jpg`;
}

/** Some uploaded images are gone: every page that links them gets a 404 for them. */
export function isBrokenAsset(site: SiteModel, path: string): boolean {
  return unitHash(`${site.name}${path}#broken`) < 0.02;
}

export function assetBytes(site: SiteModel, asset: Asset): number {
  const u = unitHash(`${site.name}${asset.path}#bytes`);
  switch (asset.kind) {
    case "css":
      return logUniform(u, 8_000, 90_000);
    case "js":
      return logUniform(u, 20_000, 260_000);
    case "icon":
      return logUniform(u, 1_150, 15_086);
    default:
      if (asset.path.endsWith(".svg")) return logUniform(u, 600, 12_000);
      if (asset.path.includes("thumb") || asset.path.includes("300x200")) return logUniform(u, 2_000, 40_000);
      return logUniform(u, 12_000, 300_000);
  }
}

/** Size of an HTML page: stable per URL, with a little jitter on dynamic pages. */
export function htmlBytes(rng: Rng, site: SiteModel, path: string): number {
  const u = unitHash(`${site.name}${path.split("?")[0]}#html`);
  if (path === "/") return logUniform(u, 42_000, 60_000) + rng.int(600);
  if (site.contentSet.has(path.split("?")[0])) return logUniform(u, 9_000, 45_000);
  if (path.includes("?")) return logUniform(rng.next(), 12_000, 38_000);
  if (site.listings.includes(path)) return logUniform(u, 24_000, 52_000) + rng.int(400);
  return logUniform(u, 5_000, 16_000) + rng.int(200);
}

/** The themed 404 page. */
export function notFoundBytes(site: SiteModel): number {
  return logUniform(unitHash(`${site.name}#404`), 5_200, 8_800);
}

export function robotsAllows(site: SiteModel, path: string): boolean {
  return !site.robotsDisallow.some((p) => path.startsWith(p));
}

/** A page a crawler fetches: mostly content and listings found in the sitemap. */
export function crawlPath(rng: Rng, site: SiteModel): PageView {
  const r = rng.next();
  if (r < 0.02) return { method: "GET", path: deadLink(rng, site), missing: true };
  if (r < 0.05) return { method: "GET", path: "/sitemap.xml" };
  if (r < 0.08) return { method: "GET", path: "/" };
  if (r < 0.7) return { method: "GET", path: site.content[rng.int(site.content.length)] };
  if (r < 0.85) return { method: "GET", path: rng.pick(site.listings) };
  if (r < 0.9) return { method: "GET", path: rng.pick(site.staticPages) };
  if (r < 0.95) return { method: "GET", path: searchPath(rng, site) };
  return { method: "GET", path: pickContent(rng, site) };
}

/** Paths a page flood aims at: the home page and a few heavy pages. */
export function floodTargets(rng: Rng, site: SiteModel): string[] {
  const extra = rng.intBetween(0, 3);
  return ["/", ...rng.sample(site.content.slice(0, 20), extra)];
}
