/**
 * Distinct 31-bit hashes of one session (paths, queries): a short list first, scanned linearly, and a
 * Set only past SMALL values. Sessions reuse their instance, so most sessions allocate nothing.
 */
export class DistinctHashes {
  private readonly list = new Int32Array(SMALL);
  private n = 0;
  private set: Set<number> | null = null;

  get size(): number {
    return this.set === null ? this.n : this.set.size;
  }

  add(h: number): void {
    if (this.set !== null) {
      this.set.add(h);
      return;
    }
    const list = this.list;
    for (let i = 0; i < this.n; i++) if (list[i] === h) return;
    if (this.n < SMALL) list[this.n++] = h;
    else {
      this.set = new Set(list);
      this.set.add(h);
    }
  }

  clear(): void {
    this.n = 0;
    this.set = null;
  }
}

const SMALL = 16;
