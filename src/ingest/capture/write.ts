/**
 * Flows as text: Argus binetflow in CTU-13's layout (what `ra -c ,` prints, readable by every flow
 * command) and JSON lines (every Flow field, extra included).
 */
import type { Flow } from "../flows/record.ts";

export const BINETFLOW_HEADER =
  "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "000" to "999": six decimal places made of two table lookups instead of padStart. */
const D3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

function sixDigits(n: number): string {
  return D3[Math.floor(n / 1000)] + D3[n % 1000];
}

// flows come in start order: the date and time of one second are made once for all its flows
let lastSecond = Number.NaN;
let lastSecondText = "";

/** `2023/11/14 22:13:20.000000` (UTC, microseconds). */
export function argusTime(epochSeconds: number): string {
  const us = Math.round(epochSeconds * 1e6);
  const sec = Math.floor(us / 1e6);
  if (sec !== lastSecond) {
    const d = new Date(sec * 1000);
    const date = `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}`;
    lastSecondText = `${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
    lastSecond = sec;
  }
  return lastSecondText + sixDigits(us - sec * 1e6);
}

/**
 * `seconds.toFixed(6)` for a duration (>= 0), by integer arithmetic; a value within a rounding error of
 * half a microsecond (only possible with nanosecond captures) is left to toFixed's exact rounding.
 */
export function durationText(seconds: number): string {
  const scaled = seconds * 1e6;
  const us = Math.round(scaled);
  if (!(scaled >= 0 && scaled < 9e15) || Math.abs(Math.abs(scaled - us) - 0.5) < 1e-6)
    return seconds.toFixed(6);
  const whole = Math.floor(us / 1e6);
  return `${whole}.${sixDigits(us - whole * 1e6)}`;
}

/** Ports as ra prints them: ICMP in hex (0x0303), everything else (ICMPv6 included) in decimal. */
function port(f: Flow, p: number | null): string {
  if (p === null) return "";
  return f.proto === "icmp" ? `0x${(p & 0xffff).toString(16).padStart(4, "0")}` : String(p);
}

/** One binetflow line (no newline); the label column as CTU-13 writes it ("flow=..."), empty when none. */
export function binetflowLine(f: Flow): string {
  const dir = f.dir.length >= 5 ? f.dir : " ".repeat(5 - f.dir.length) + f.dir;
  // one join makes a flat string; a template literal makes a tree of ~30 pieces that every later join walks
  return [
    argusTime(f.start),
    durationText(f.duration),
    f.proto,
    f.srcAddr,
    port(f, f.srcPort),
    dir,
    f.dstAddr,
    port(f, f.dstPort),
    f.state,
    f.sTos ?? "",
    f.dTos ?? "",
    f.totPkts,
    f.totBytes,
    f.srcBytes,
    f.label === null ? "" : `flow=${f.label}`,
  ].join(",");
}

/** One JSON line (no newline). */
export function jsonLine(f: Flow): string {
  return JSON.stringify(f);
}
