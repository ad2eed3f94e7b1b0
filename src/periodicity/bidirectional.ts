/**
 * Bidirectional merge, as relbot's netflowaggr does it: a flow A:p->B:q is held for a time window
 * (default 120 s); when its reverse B:q->A:p arrives meanwhile, the held flow is emitted and the reverse
 * is dropped (the two are one conversation, started by A). Held flows leave the window unmerged once
 * they are older than the newest held flow minus the window, and at the end in start order.
 *
 * The original's quirks are kept: the window is measured against the newest flow still held (not the
 * newest seen), a reverse merges every held flow of its key at once, and when the newest held start is
 * below the window length its unsigned subtraction wraps, so everything held is released.
 * A streaming operator: push() emits through the callback, flush() releases the rest.
 */
import { copyFlow, type Flow } from "../ingest/flows/record.ts";

export const DEFAULT_MERGE_WINDOW_MS = 120_000;

interface Held {
  seq: number;
  time: number;
  key: string;
  flow: Flow;
  alive: boolean;
}

/** Binary heap of held flows by (time, seq), ascending or descending. */
class HeldHeap {
  private readonly items: Held[] = [];

  constructor(private readonly descending: boolean) {}

  private before(a: Held, b: Held): boolean {
    if (a.time !== b.time) return this.descending ? a.time > b.time : a.time < b.time;
    return a.seq < b.seq;
  }

  push(h: Held): void {
    const a = this.items;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  /** The first live entry (dead ones are dropped on the way). */
  peek(): Held | undefined {
    const a = this.items;
    while (a.length && !a[0].alive) this.pop();
    return a[0];
  }

  pop(): Held | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** netflowaggr's key: "srcip|srcport>dstip|dstport" (ports as integers; a missing port is 0). */
function flowKey(src: string, sp: number | null, dst: string, dp: number | null): string {
  return `${src}|${sp ?? 0}>${dst}|${dp ?? 0}`;
}

export class BidirectionalMerger {
  private readonly byKey = new Map<string, Held[]>();
  private readonly oldest = new HeldHeap(false);
  private readonly newest = new HeldHeap(true);
  private seq = 0;
  private held = 0;
  /** Flows dropped as the reverse of a held one. */
  merged = 0;

  /**
   * `timeOf` gives a flow's time in ms (what the window is measured in); `emit` receives each flow that
   * survives, once, as a copy the merger no longer touches.
   */
  constructor(
    private readonly emit: (f: Flow) => void,
    private readonly timeOf: (f: Flow) => number,
    private readonly windowMs = DEFAULT_MERGE_WINDOW_MS,
  ) {}

  push(f: Flow): void {
    const reverse = flowKey(f.dstAddr, f.dstPort, f.srcAddr, f.srcPort);
    const waiting = this.byKey.get(reverse);
    if (waiting?.length) {
      for (const h of waiting) this.release(h);
      this.byKey.delete(reverse);
      this.merged++;
    } else {
      const key = flowKey(f.srcAddr, f.srcPort, f.dstAddr, f.dstPort);
      const h: Held = { seq: this.seq++, time: this.timeOf(f), key, flow: copyFlow(f), alive: true };
      let list = this.byKey.get(key);
      if (!list) {
        list = [];
        this.byKey.set(key, list);
      }
      list.push(h);
      this.oldest.push(h);
      this.newest.push(h);
      this.held++;
    }
    this.expire();
  }

  /** Releases every held flow, oldest first. */
  flush(): void {
    for (let h = this.oldest.peek(); h; h = this.oldest.peek()) {
      this.oldest.pop();
      this.releaseHeld(h);
    }
  }

  /** Flows currently held. */
  get size(): number {
    return this.held;
  }

  private expire(): void {
    const top = this.newest.peek();
    if (!top) return;
    const max = top.time;
    // unsigned arithmetic in the original: a max below the window wraps to a huge minimum
    const all = max !== 0 && max < this.windowMs;
    const min = max === 0 ? 0 : max - this.windowMs;
    for (let h = this.oldest.peek(); h && (all || h.time < min); h = this.oldest.peek()) {
      this.oldest.pop();
      this.releaseHeld(h);
    }
  }

  private releaseHeld(h: Held): void {
    const list = this.byKey.get(h.key);
    if (list) {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byKey.delete(h.key);
    }
    this.release(h);
  }

  private release(h: Held): void {
    if (!h.alive) return;
    h.alive = false;
    this.held--;
    this.emit(h.flow);
  }
}
