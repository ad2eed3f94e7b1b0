/** Why a line was rejected. */
export type BadLineReason =
  | "empty"
  | "binary"
  | "oversized"
  | "truncated"
  | "wrong-format"
  | "bad-time"
  | "bad-address"
  | "bad-status"
  | "bad-json"
  | "wrong-field-count"
  | "bad-number";

export interface BadLineExample {
  file: string;
  line: number;
  text: string;
}

export interface BadLineReport {
  total: number;
  byReason: Partial<Record<BadLineReason, number>>;
  examples: Partial<Record<BadLineReason, BadLineExample[]>>;
}

const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 160;

/**
 * Counts rejected lines per reason and keeps up to five examples of each (file:line and the start of
 * the line), so a run reports what it skipped instead of stopping or dropping it silently.
 */
export class BadLines {
  private readonly report: BadLineReport = { total: 0, byReason: {}, examples: {} };

  add(reason: BadLineReason, file: string, line: number, text: string): void {
    const r = this.report;
    r.total++;
    r.byReason[reason] = (r.byReason[reason] ?? 0) + 1;
    r.examples[reason] ??= [];
    const ex = r.examples[reason];
    if (ex.length < MAX_EXAMPLES) {
      // keep examples printable: control and non-ASCII bytes shown as \xNN
      const shown = text
        .slice(0, MAX_EXAMPLE_CHARS)
        .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
      ex.push({ file, line, text: shown });
    }
  }

  get total(): number {
    return this.report.total;
  }

  toJSON(): BadLineReport {
    return this.report;
  }

  describe(): string[] {
    return describeBadLines(this.report);
  }
}

/** Human summary: one line per reason, then its examples as file:line: text. */
export function describeBadLines(report: BadLineReport): string[] {
  const out: string[] = [];
  for (const [reason, n] of Object.entries(report.byReason)) {
    out.push(`${reason}: ${n}`);
    for (const e of report.examples[reason as BadLineReason] ?? [])
      out.push(`  ${e.file}:${e.line}: ${e.text}`);
  }
  return out;
}
