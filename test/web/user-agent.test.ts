import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseUserAgent } from "../../src/web/user-agent.ts";

describe("user agents", () => {
  it("names browsers, systems and devices", () => {
    assert.deepEqual(
      parseUserAgent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      ),
      { family: "Chrome", os: "Windows 10", device: "desktop", isBot: false },
    );
    assert.deepEqual(
      parseUserAgent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
      ),
      { family: "Mobile Safari", os: "iOS 17.1", device: "mobile", isBot: false },
    );
    const firefox = parseUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0");
    assert.deepEqual([firefox.family, firefox.os, firefox.isBot], ["Firefox", "Linux", false]);
  });

  it("names crawlers by their bot token, and flags scripts and empty agents as bots", () => {
    const google = parseUserAgent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
    assert.deepEqual([google.family, google.isBot], ["Googlebot", true]);
    assert.equal(
      parseUserAgent("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)").family,
      "bingbot",
    );
    assert.equal(
      parseUserAgent("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)").family,
      "AhrefsBot",
    );
    for (const [ua, family] of [
      ["curl/8.4.0", "curl"],
      ["python-requests/2.31.0", "python-requests"],
      ["Wget/1.21", "Wget"],
    ]) {
      const p = parseUserAgent(ua);
      assert.deepEqual([p.family, p.isBot], [family, true], ua);
    }
    assert.deepEqual(parseUserAgent(""), { family: null, os: null, device: "desktop", isBot: true });
  });

  it("caches one result per distinct string", () => {
    const ua = "Mozilla/5.0 (X11; Linux x86_64) cache-test/1.0";
    assert.equal(parseUserAgent(ua), parseUserAgent(ua));
  });
});
