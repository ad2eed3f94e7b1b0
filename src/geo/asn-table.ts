import { readFileSync } from "node:fs";

/**
 * IP-to-ASN ranges from the bundled @ip-location-db/asn CSVs (DB-IP and RouteViews, CC BY 4.0), held in
 * typed arrays and searched by bisection. IPv6 ranges are kept by their upper 64 bits, which is exact
 * for every prefix of /64 or shorter (all routed prefixes).
 */
export class AsnTable {
  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Asn: Uint32Array,
    private readonly v4Org: Uint32Array,
    private readonly v6Start: BigUint64Array,
    private readonly v6End: BigUint64Array,
    private readonly v6Asn: Uint32Array,
    private readonly v6Org: Uint32Array,
    private readonly orgs: string[],
  ) {}

  static load(ipv4NumCsv: string, ipv6Csv: string): AsnTable {
    const orgs: string[] = [];
    const orgIds = new Map<string, number>();
    const orgId = (o: string) => {
      let id = orgIds.get(o);
      if (id === undefined) {
        id = orgs.length;
        orgs.push(o);
        orgIds.set(o, id);
      }
      return id;
    };
    const v4 = parseRows(readFileSync(ipv4NumCsv, "utf8"));
    const v6 = parseRows(readFileSync(ipv6Csv, "utf8"));
    const v4Start = new Uint32Array(v4.length);
    const v4End = new Uint32Array(v4.length);
    const v4Asn = new Uint32Array(v4.length);
    const v4Org = new Uint32Array(v4.length);
    v4.forEach((r, i) => {
      v4Start[i] = Number(r[0]);
      v4End[i] = Number(r[1]);
      v4Asn[i] = Number(r[2]);
      v4Org[i] = orgId(r[3]);
    });
    const v6Start = new BigUint64Array(v6.length);
    const v6End = new BigUint64Array(v6.length);
    const v6Asn = new Uint32Array(v6.length);
    const v6Org = new Uint32Array(v6.length);
    v6.forEach((r, i) => {
      v6Start[i] = ipv6High64(r[0]) ?? 0n;
      v6End[i] = ipv6High64(r[1]) ?? 0n;
      v6Asn[i] = Number(r[2]);
      v6Org[i] = orgId(r[3]);
    });
    return new AsnTable(v4Start, v4End, v4Asn, v4Org, v6Start, v6End, v6Asn, v6Org, orgs);
  }

  lookupV4(ip: number): { asn: number; org: string } | undefined {
    const i = lastAtOrBelow(this.v4Start, ip);
    if (i < 0 || ip > this.v4End[i]) return undefined;
    return { asn: this.v4Asn[i], org: this.orgs[this.v4Org[i]] };
  }

  lookupV6(ip: string): { asn: number; org: string } | undefined {
    const hi = ipv6High64(ip);
    if (hi === undefined) return undefined;
    const i = lastAtOrBelow(this.v6Start, hi);
    if (i < 0 || hi > this.v6End[i]) return undefined;
    return { asn: this.v6Asn[i], org: this.orgs[this.v6Org[i]] };
  }
}

function lastAtOrBelow<T extends number | bigint>(sorted: ArrayLike<T>, v: T): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Rows of "a,b,asn,org" where org may be quoted. */
function parseRows(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const a = line.indexOf(",");
    const b = line.indexOf(",", a + 1);
    const c = line.indexOf(",", b + 1);
    if (a < 0 || b < 0 || c < 0) continue;
    let org = line.slice(c + 1).trim();
    if (org.startsWith('"') && org.endsWith('"')) org = org.slice(1, -1).replaceAll('""', '"');
    rows.push([line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), org]);
  }
  return rows;
}

/** The upper 64 bits of an IPv6 address, or undefined when it is not one. */
export function ipv6High64(ip: string): bigint | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  if (tail.length && tail[tail.length - 1].includes(".")) tail.splice(-1, 1, "0", "0"); // embedded IPv4: low bits
  const groups =
    halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail] : head;
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (let i = 0; i < 4; i++) {
    const g = Number.parseInt(groups[i], 16);
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i]) || Number.isNaN(g)) return undefined;
    v = (v << 16n) | BigInt(g);
  }
  return v;
}
