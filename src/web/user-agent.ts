import { isbot, isbotMatch } from "isbot";
import UAParser from "ua-parser-js";

export interface ParsedUserAgent {
  /** Browser or client family, e.g. "Chrome", "curl"; null when unknown. */
  family: string | null;
  os: string | null;
  /** desktop, mobile, tablet, ... (ua-parser-js device type; desktop when none). */
  device: string;
  /** Declares itself a bot, crawler, script or library. */
  isBot: boolean;
}

const cache = new Map<string, ParsedUserAgent>();

/** Parsed user agent (ua-parser-js 1.x, MIT) with isbot's crawler list; cached per distinct string. */
export function parseUserAgent(ua: string): ParsedUserAgent {
  let p = cache.get(ua);
  if (p) return p;
  const r = new UAParser(ua).getResult();
  const bot = ua === "" || isbot(ua);
  // crawlers pose as Mozilla: name them by the bot token (Googlebot, bingbot) instead
  const botName =
    bot && ua ? (/([A-Za-z][\w.-]*(?:bot|spider|crawler)[\w.-]*)/i.exec(ua)?.[1] ?? isbotMatch(ua)) : null;
  const family =
    botName?.split("/")[0] ?? r.browser.name ?? (ua ? (/^([A-Za-z][\w.-]*)/.exec(ua)?.[1] ?? null) : null);
  p = {
    family,
    os: r.os.name ? `${r.os.name}${r.os.version ? ` ${r.os.version}` : ""}` : null,
    device: r.device.type ?? "desktop",
    isBot: bot,
  };
  if (cache.size > 100_000) cache.clear();
  cache.set(ua, p);
  return p;
}
