/**
 * Rolling flow files, as nfcapd writes them: flows go to DIR/flows.current.<pid>.<ext>, and every
 * `rotate` seconds of the collector's clock (aligned to the interval, like nfcapd's 5-minute files) the
 * file is closed and renamed DIR/flows.YYYYMMDDhhmm.<ext> after the interval it covers. Argus binetflow
 * (readable by every flow command) or JSON lines. Writes are buffered and synchronous.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BINETFLOW_HEADER, binetflowLine, jsonLine } from "../ingest/capture/write.ts";
import type { Flow } from "../ingest/flows/record.ts";

export const WRITE_FORMATS = ["binetflow", "json"] as const;
export type WriteFormat = (typeof WRITE_FORMATS)[number];

const FLUSH_CHARS = 1 << 16;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** nfcapd's file time stamp of an interval start: YYYYMMDDhhmm (UTC). */
export function fileStamp(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}`;
}

export class RollingFlowWriter {
  /** Closed files, in order. */
  readonly files: string[] = [];
  private fd: number | undefined;
  private intervalStart = Number.NaN;
  private pending: string[] = [];
  private pendingChars = 0;
  private readonly current: string;
  private readonly ext: string;

  constructor(
    private readonly dir: string,
    private readonly format: WriteFormat,
    private readonly rotateSeconds: number,
    /** Called with every file once it is complete. */
    private readonly onFile?: (file: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.ext = format === "json" ? "jsonl" : "binetflow";
    this.current = join(dir, `flows.current.${process.pid}.${this.ext}`);
  }

  /** Moves the clock (epoch seconds): closes the file when its interval is over. */
  tick(now: number): void {
    if (this.fd !== undefined && now >= this.intervalStart + this.rotateSeconds) this.close();
    if (Number.isNaN(this.intervalStart) || now >= this.intervalStart + this.rotateSeconds)
      this.intervalStart = Math.floor(now / this.rotateSeconds) * this.rotateSeconds;
  }

  write(f: Flow): void {
    if (this.fd === undefined) {
      this.fd = openSync(this.current, "w");
      if (this.format === "binetflow") this.add(BINETFLOW_HEADER);
    }
    this.add(this.format === "json" ? jsonLine(f) : binetflowLine(f));
  }

  private add(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars >= FLUSH_CHARS) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    writeSync(this.fd, `${this.pending.join("\n")}\n`);
    this.pending = [];
    this.pendingChars = 0;
  }

  /** Completes the current file (at rotation and when the collector stops). */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
    let file = join(this.dir, `flows.${fileStamp(this.intervalStart)}.${this.ext}`);
    // an interval written twice (a restart, a clock step back, an earlier run) keeps every file
    for (let i = 1; this.files.includes(file) || existsSync(file); i++)
      file = join(this.dir, `flows.${fileStamp(this.intervalStart)}-${i}.${this.ext}`);
    renameSync(this.current, file);
    this.files.push(file);
    this.onFile?.(file);
  }
}
