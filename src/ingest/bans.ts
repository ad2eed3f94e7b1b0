import { UserError } from "../core/errors.ts";
import { BadLines } from "./bad-lines.ts";
import { readLineBatches } from "./source.ts";
import { parseAnyTime } from "./weblog/time.ts";

export interface BanRecord {
  time: number;
  rule: string;
}

export interface BanList {
  byIp: Map<string, BanRecord[]>;
  records: number;
  bad: BadLines;
}

/**
 * Banjax-style ban records: JSON lines ({client_ip|ip, @timestamp|time, rule}) or CSV "ip,time,rule"
 * (a header line is recognised and skipped).
 */
export async function readBanLists(files: string[]): Promise<BanList> {
  const byIp = new Map<string, BanRecord[]>();
  const bad = new BadLines();
  let records = 0;
  for (const file of files) {
    for await (const batch of readLineBatches(file)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const line = batch.lines[i];
        const lineNo = batch.firstLine + i;
        const trimmed = line.trim();
        if (!trimmed) continue;
        let ip: unknown;
        let time: unknown;
        let rule: unknown;
        if (trimmed.startsWith("{")) {
          try {
            let doc = JSON.parse(trimmed);
            doc = doc._source ?? doc;
            ip = doc.client_ip ?? doc.ip;
            time = doc["@timestamp"] ?? doc.time ?? doc.timestamp;
            rule = doc.rule ?? doc.reason ?? "";
          } catch {
            bad.add("bad-json", file, lineNo, line);
            continue;
          }
        } else {
          const cols = trimmed.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
          if (lineNo === 1 && /^(client_)?ip$/i.test(cols[0])) continue;
          [ip, time, rule] = cols;
        }
        const t =
          typeof time === "number" ? (time > 1e11 ? time / 1000 : time) : parseAnyTime(String(time ?? ""));
        if (typeof ip !== "string" || !ip) {
          bad.add("bad-address", file, lineNo, line);
          continue;
        }
        if (Number.isNaN(t)) {
          bad.add("bad-time", file, lineNo, line);
          continue;
        }
        const list = byIp.get(ip) ?? [];
        list.push({ time: t, rule: String(rule ?? "") });
        byIp.set(ip, list);
        records++;
      }
    }
  }
  if (records === 0 && bad.total > 0)
    throw new UserError(`ban list ${files.join(", ")}: no readable ban record`);
  return { byIp, records, bad };
}

/** The ban that fell within a session (from its start to one gap after its end), if any. */
export function banFor(
  list: BanList | undefined,
  ip: string,
  start: number,
  end: number,
  gap: number,
): BanRecord | undefined {
  return list?.byIp.get(ip)?.find((b) => b.time >= start && b.time <= end + gap);
}
