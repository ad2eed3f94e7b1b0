/**
 * User agents, crawlers, countries and referers for the web simulator. Versions are those current in
 * early 2026 (Chrome 145, Firefox 148, Safari 26) so that the bots' outdated agents stand out.
 */

export interface HumanAgent {
  ua: string;
  weight: number;
  /** iOS browsers also ask for /apple-touch-icon.png, which sites often lack (a realistic 404). */
  ios?: boolean;
}

export const HUMAN_AGENTS: readonly HumanAgent[] = [
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36",
    weight: 22,
  },
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Safari/537.36",
    weight: 6,
  },
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 Edg/145.0.0.0",
    weight: 7,
  },
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:148.0) Gecko/20100101 Firefox/148.0",
    weight: 4,
  },
  {
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36",
    weight: 7,
  },
  {
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Safari/605.1.15",
    weight: 5,
  },
  {
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:148.0) Gecko/20100101 Firefox/148.0",
    weight: 1.5,
  },
  {
    ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36",
    weight: 1.5,
  },
  { ua: "Mozilla/5.0 (X11; Linux x86_64; rv:148.0) Gecko/20100101 Firefox/148.0", weight: 1 },
  { ua: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:147.0) Gecko/20100101 Firefox/147.0", weight: 0.5 },
  {
    ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Mobile Safari/537.36",
    weight: 17,
  },
  {
    ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Mobile Safari/537.36",
    weight: 4,
  },
  {
    ua: "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36",
    weight: 3,
  },
  {
    ua: "Mozilla/5.0 (Android 15; Mobile; rv:148.0) Gecko/148.0 Firefox/148.0",
    weight: 0.7,
  },
  {
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Mobile/15E148 Safari/604.1",
    weight: 12,
    ios: true,
  },
  {
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1",
    weight: 3,
    ios: true,
  },
  {
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/145.0.7632.41 Mobile/15E148 Safari/604.1",
    weight: 2,
    ios: true,
  },
  {
    ua: "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.2 Mobile/15E148 Safari/604.1",
    weight: 2,
    ios: true,
  },
  {
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36 OPR/130.0.0.0",
    weight: 1,
  },
  {
    ua: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36",
    weight: 0.8,
  },
];

/** Agents of botnets: outdated browsers and HTTP libraries, as seen in real floods. */
export const BOT_AGENTS: readonly string[] = [
  "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2272.118 Safari/537.36",
  "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:40.0) Gecko/20100101 Firefox/40.1",
  "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; SLCC2; .NET CLR 2.0.50727)",
  "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0.3029.110 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.113 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/601.7.7 (KHTML, like Gecko) Version/9.1.2 Safari/601.7.7",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 (KHTML, like Gecko) Version/10.0 Mobile/14E304 Safari/602.1",
  "Mozilla/5.0 (Linux; Android 4.4.2; SM-G900F Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/34.0.1847.114 Mobile Safari/537.36",
  "python-requests/2.18.4",
  "Go-http-client/1.1",
  "curl/7.58.0",
  "Java/1.8.0_151",
];

export interface CrawlerKind {
  name: string;
  uas: readonly string[];
  /** Prefixes the crawler operator really uses (so reverse-DNS style checks are plausible). */
  cidrs: readonly string[];
  country: string;
  ips: number;
  /** Hours between crawl runs on one site. */
  everyHours: number;
  pagesPerRun: [number, number];
  /** Seconds between page fetches within a run. */
  intervalSeconds: number;
  /** Well-behaved crawlers skip paths robots.txt disallows. */
  obeysRobots: boolean;
}

export const CRAWLERS: readonly CrawlerKind[] = [
  {
    name: "Googlebot",
    uas: [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.7632.45 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ],
    cidrs: ["66.249.64.0/20", "66.249.72.0/21"],
    country: "US",
    ips: 3,
    everyHours: 2,
    pagesPerRun: [25, 60],
    intervalSeconds: 15,
    obeysRobots: true,
  },
  {
    name: "bingbot",
    uas: ["Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"],
    cidrs: ["157.55.39.0/24", "40.77.167.0/24", "207.46.13.0/24"],
    country: "US",
    ips: 2,
    everyHours: 4,
    pagesPerRun: [15, 40],
    intervalSeconds: 30,
    obeysRobots: true,
  },
  {
    name: "YandexBot",
    uas: ["Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"],
    cidrs: ["5.255.253.0/24", "213.180.203.0/24"],
    country: "RU",
    ips: 1,
    everyHours: 8,
    pagesPerRun: [10, 30],
    intervalSeconds: 20,
    obeysRobots: true,
  },
  {
    name: "AhrefsBot",
    uas: ["Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"],
    cidrs: ["54.36.148.0/23", "51.222.253.0/24"],
    country: "FR",
    ips: 2,
    everyHours: 6,
    pagesPerRun: [30, 80],
    intervalSeconds: 8,
    obeysRobots: true,
  },
  {
    name: "SemrushBot",
    uas: ["Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"],
    cidrs: ["185.191.171.0/24", "85.208.96.0/24"],
    country: "US",
    ips: 1,
    everyHours: 8,
    pagesPerRun: [20, 60],
    intervalSeconds: 10,
    obeysRobots: false,
  },
];

/** Visitors' countries (weights roughly follow a Western site's audience). */
export const HUMAN_COUNTRIES: Readonly<Record<string, number>> = {
  US: 30,
  GB: 8,
  DE: 8,
  FR: 6,
  CA: 5,
  IN: 5,
  BR: 4,
  ES: 3,
  IT: 3,
  NL: 3,
  AU: 3,
  PL: 2,
  MX: 2,
  JP: 2,
  SE: 1.5,
  TR: 1.5,
  ZA: 1,
  AR: 1,
  IE: 1,
  CH: 1,
};

/** Countries over-represented in DDoS botnets; each botnet draws a few of them with its own weights. */
export const BOT_COUNTRIES: readonly string[] = [
  "CN",
  "VN",
  "BR",
  "IN",
  "RU",
  "ID",
  "TH",
  "UA",
  "TR",
  "EG",
  "IR",
  "PK",
  "US",
  "KR",
  "TW",
  "MX",
  "CO",
  "BD",
];

/** Entry referers of human sessions; "-" is a typed URL or bookmark. Search engines send only the origin. */
export const ENTRY_REFERERS: readonly string[] = [
  "-",
  "https://www.google.com/",
  "https://www.bing.com/",
  "https://duckduckgo.com/",
  "https://search.yahoo.com/",
  "https://t.co/",
  "https://www.facebook.com/",
  "https://www.reddit.com/",
  "https://news.ycombinator.com/",
];
export const ENTRY_REFERER_WEIGHTS: readonly number[] = [30, 42, 6, 3, 1, 5, 6, 4, 3];
