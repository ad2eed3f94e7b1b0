/**
 * relbot's own input, read as the timedetector reads its stdin: `cin >> stime >> srcip >> destip` in a
 * loop, with stime an unsigned long. So tokens are separated by any whitespace (a record may span lines),
 * an address is any token, a time is read as far as its digits go (the rest of the token is the next
 * token), and the first time that is not a number, or overflows, ends the input: the original silently
 * stops there and reports what it read so far. A trailing incomplete record is dropped.
 *
 * A pure streaming tokenizer (no I/O): the caller feeds lines (a line break is whitespace) and gets
 * `(ms, src, dst)` records, the addresses as ranges of their line. Times the original accepts but a double cannot hold exactly (2^53 and up,
 * and negative numbers, which it wraps modulo 2^64) end the input too, with their own reason.
 */

export type RelbotStop =
  | { reason: "not-a-number"; file: string; line: number; text: string }
  | { reason: "overflow"; file: string; line: number; text: string }
  | { reason: "unsupported-time"; file: string; line: number; text: string };

const TIME = 0;
const SRC = 1;
const DST = 2;

const MAX_EXACT = 2 ** 53;
/** 2^64 - 1 as a decimal string: longer or larger digit strings overflow an unsigned long. */
const ULONG_MAX = "18446744073709551615";

/**
 * Receives each record: time (ms) and the two addresses as ranges of the text they stand in (no
 * substring is made; `text.slice(start, end)` gives one when needed).
 */
export type RelbotRecordSink = (
  ms: number,
  srcText: string,
  srcStart: number,
  srcEnd: number,
  dstText: string,
  dstStart: number,
  dstEnd: number,
) => void;

export class RelbotTextReader {
  /** Records read. */
  records = 0;
  /** Why and where reading stopped, if it stopped before the end. */
  stopped: RelbotStop | undefined;
  private state = TIME;
  private ms = 0;
  private srcText = "";
  private srcStart = 0;
  private srcEnd = 0;

  constructor(private readonly onRecord: RelbotRecordSink) {}

  /** Feeds one line of `file` (1-based number `lineNo`); nothing happens once reading has stopped. */
  line(text: string, lineNo: number, file: string): void {
    if (this.stopped) return;
    const n = text.length;
    let i = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      // C isspace: space, \t \n \v \f \r
      if (c <= 32 && (c === 32 || (c >= 9 && c <= 13))) {
        i++;
        continue;
      }
      if (this.state === TIME) {
        // num_get<unsigned long>: optional sign, then as many decimal digits as there are
        const start = i;
        let negative = false;
        if (c === 43 || c === 45) {
          negative = c === 45;
          i++;
        }
        const digitsAt = i;
        let v = 0;
        while (i < n) {
          c = text.charCodeAt(i) - 48;
          if (c < 0 || c > 9) break;
          v = v * 10 + c;
          i++;
        }
        if (i === digitsAt) {
          this.stop("not-a-number", file, lineNo, text, start);
          return;
        }
        if (v >= MAX_EXACT) {
          const digits = text.slice(digitsAt, i).replace(/^0+/, "");
          const over =
            digits.length > ULONG_MAX.length || (digits.length === ULONG_MAX.length && digits > ULONG_MAX);
          this.stop(over ? "overflow" : "unsupported-time", file, lineNo, text, start);
          return;
        }
        if (negative && v !== 0) {
          this.stop("unsupported-time", file, lineNo, text, start);
          return;
        }
        this.ms = v;
        this.state = SRC;
        continue;
      }
      // operator>>(string): up to the next whitespace
      const start = i;
      for (i++; i < n; i++) {
        c = text.charCodeAt(i);
        if (c <= 32 && (c === 32 || (c >= 9 && c <= 13))) break;
      }
      if (this.state === SRC) {
        this.srcText = text;
        this.srcStart = start;
        this.srcEnd = i;
        this.state = DST;
      } else {
        this.records++;
        this.onRecord(this.ms, this.srcText, this.srcStart, this.srcEnd, text, start, i);
        this.state = TIME;
      }
    }
  }

  /** End of input: an incomplete record is dropped, as the original's loop condition does. */
  end(): void {
    this.state = TIME;
    this.srcText = "";
  }

  private stop(reason: RelbotStop["reason"], file: string, line: number, text: string, at: number): void {
    this.stopped = { reason, file, line, text: text.slice(at, at + 80) };
  }
}

/** Whether a sample of lines is relbot text: `<digits> <token> <token>` on (nearly) every non-empty line. */
export function looksLikeRelbotText(lines: readonly string[]): boolean {
  const sample = lines.filter((l) => l.trim().length > 0).slice(0, 200);
  if (sample.length === 0) return false;
  let ok = 0;
  for (const l of sample) if (/^\s*\d+\s+\S+\s+\S+\s*$/.test(l)) ok++;
  return ok >= Math.max(1, sample.length / 2);
}
