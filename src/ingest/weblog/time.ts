/** Fast log-time parsing: fixed-position digits and a per-day cache instead of Date.parse per line. */

const MONTHS: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Month number of the three letters at s[i, i + 3) ("Jan" = 1), 0 when none. The sums of the letters of
 * the twelve English abbreviations differ, so the sum picks the candidate and one comparison confirms it.
 */
function monthAt(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  const c = s.charCodeAt(i + 2);
  const k = a + b + c - MONTH_SUM_MIN;
  if (!(k >= 0 && k < MONTH_BY_SUM.length)) return 0;
  const m = MONTH_BY_SUM[k];
  return m !== 0 && MONTH_CODE[m] === ((a << 16) | (b << 8) | c) ? m : 0;
}
const MONTH_NAMES = Object.keys(MONTHS);
const letterSum = (n: string) => n.charCodeAt(0) + n.charCodeAt(1) + n.charCodeAt(2);
const MONTH_SUM_MIN = Math.min(...MONTH_NAMES.map(letterSum));
const MONTH_BY_SUM = new Uint8Array(Math.max(...MONTH_NAMES.map(letterSum)) - MONTH_SUM_MIN + 1);
const MONTH_CODE = new Int32Array(13);
for (const n of MONTH_NAMES) {
  MONTH_BY_SUM[letterSum(n) - MONTH_SUM_MIN] = MONTHS[n];
  MONTH_CODE[MONTHS[n]] = (n.charCodeAt(0) << 16) | (n.charCodeAt(1) << 8) | n.charCodeAt(2);
}

/** Two decimal digits at s[i, i + 2); out of 0..99 when either is not a digit. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const c = s.charCodeAt(i + 1) - 48;
  return a >>> 0 > 9 || c >>> 0 > 9 ? -1 : a * 10 + c;
}

/** The last date seen (as y * 10000 + m * 100 + d) and its day number: lines of one day share it. */
let lastDate = -1;
let lastDays = 0;

/**
 * Common Log Format time "17/May/2015:10:05:03 +0200" (optionally "10:05:03.123") to epoch seconds;
 * NaN when malformed. The zone offset is honoured. Reads s[start, end) in place, without slicing.
 */
export function parseClfTime(s: string, start = 0, end = s.length): number {
  const b = start;
  if (end - b < 20) return Number.NaN;
  if (s.charCodeAt(b + 2) !== 47 || s.charCodeAt(b + 6) !== 47 || s.charCodeAt(b + 11) !== 58)
    return Number.NaN;
  if (s.charCodeAt(b + 14) !== 58 || s.charCodeAt(b + 17) !== 58) return Number.NaN;
  const d = two(s, b);
  const m = monthAt(s, b + 3);
  const century = two(s, b + 7);
  const year = two(s, b + 9);
  const y = century * 100 + year;
  const hh = two(s, b + 12);
  const mm = two(s, b + 15);
  // two() gives -1 for a non-digit, which every range check below rejects
  if (
    m === 0 ||
    !(d >= 1 && d <= 31 && century >= 0 && year >= 0 && hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59)
  )
    return Number.NaN;
  const date = y * 10000 + m * 100 + d;
  if (date !== lastDate) {
    lastDays = daysFromCivil(y, m, d);
    lastDate = date;
  }
  const minuteEpoch = lastDays * 86400 + hh * 3600 + mm * 60;
  const s1 = s.charCodeAt(b + 18) - 48;
  const s2 = s.charCodeAt(b + 19) - 48;
  if (!(s1 >= 0 && s1 <= 6 && s2 >= 0 && s2 <= 9)) return Number.NaN;
  let t = minuteEpoch + s1 * 10 + s2;
  let i = b + 20;
  if (s.charCodeAt(i) === 46) {
    let scale = 0.1;
    for (i++; i < end; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      t += c * scale;
      scale /= 10;
    }
  }
  if (i === end) return t;
  if (s.charCodeAt(i) !== 32) return Number.NaN;
  const off = parseOffset(s, i + 1, end);
  return Number.isNaN(off) ? off : t - off;
}

/** "+0200", "-05:30", "Z" at s[i, end) -> offset seconds east of UTC. */
function parseOffset(s: string, i: number, end: number): number {
  const sign = s.charCodeAt(i);
  if (sign === 90 /* Z */ && i + 1 === end) return 0;
  if (sign !== 43 && sign !== 45) return Number.NaN;
  const h = digits(s, i + 1, 2);
  const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
  const m = digits(s, i + 3 + colon, 2);
  if (Number.isNaN(h) || Number.isNaN(m) || i + 5 + colon !== end) return Number.NaN;
  const v = h * 3600 + m * 60;
  return sign === 45 ? -v : v;
}

/** ISO-8601 "2018-04-17T08:12:32.000Z" or "...+02:00" (also with a space for T) to epoch seconds. */
export function parseIsoTime(s: string): number {
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return Number.NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const hh = digits(s, 11, 2);
  const mm = digits(s, 14, 2);
  const ss = digits(s, 17, 2);
  const sep = s.charCodeAt(10);
  if (
    !(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && hh <= 23 && mm <= 59 && ss <= 60) ||
    (sep !== 84 && sep !== 32)
  )
    return Number.NaN;
  let t = daysFromCivil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss;
  let i = 19;
  if (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) {
    let scale = 0.1;
    for (i++; i < s.length; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      t += c * scale;
      scale /= 10;
    }
  }
  if (i === s.length) return t; // no zone: UTC
  const off = parseOffset(s, i, s.length);
  return Number.isNaN(off) ? off : t - off;
}

/** Any time text a log may hold: CLF, ISO-8601, or epoch seconds/milliseconds. */
export function parseAnyTime(s: string): number {
  if (s.length >= 19 && s.charCodeAt(4) === 45) return parseIsoTime(s);
  if (s.length >= 20 && s.charCodeAt(2) === 47) return parseClfTime(s);
  if (/^\d+(\.\d+)?$/.test(s)) {
    const v = Number(s);
    return v > 1e11 ? v / 1000 : v;
  }
  return Number.NaN;
}
