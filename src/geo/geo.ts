import { createRequire } from "node:module";
import maxmind, { type Reader, type Response } from "maxmind";
import { UserError } from "../core/errors.ts";
import { ipv4ToInt } from "../core/net.ts";
import { AsnTable } from "./asn-table.ts";

export interface GeoInfo {
  /** ISO 3166 alpha-2, or null when unknown (private and reserved addresses). */
  country: string | null;
  asn: number | null;
  asOrg: string | null;
}

const require = createRequire(import.meta.url);

/** Bundled data: country from the NRO/whois/ASN mmdb, ASN from DB-IP and RouteViews (both CC BY 4.0). */
function bundledPaths() {
  return {
    country: require.resolve("@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"),
    asnV4: require.resolve("@ip-location-db/asn/asn-ipv4-num.csv"),
    asnV6: require.resolve("@ip-location-db/asn/asn-ipv6.csv"),
  };
}

interface AnyGeoRecord {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

/**
 * Offline country and ASN lookup. By default from the bundled databases; `--geoip-db` files (MaxMind
 * GeoLite2/GeoIP2 Country, City or ASN, or any mmdb with the same fields) take precedence for what they hold.
 */
export class GeoLookup {
  private readonly cache = new Map<string, GeoInfo>();

  private constructor(
    private readonly readers: Reader<Response>[],
    private readonly asnTable: AsnTable | undefined,
  ) {}

  static async open(opts: { geoipDbs?: string[]; bundled?: boolean } = {}): Promise<GeoLookup> {
    const readers: Reader<Response>[] = [];
    for (const file of opts.geoipDbs ?? []) {
      try {
        readers.push(await maxmind.open<Response>(file, { watchForUpdates: false }));
      } catch (e) {
        throw new UserError(`--geoip-db ${file}: ${(e as Error).message}`);
      }
    }
    let asnTable: AsnTable | undefined;
    if (opts.bundled !== false) {
      const paths = bundledPaths();
      readers.push(await maxmind.open<Response>(paths.country, { watchForUpdates: false }));
      const userHasAsn = readers.some((r) => r.metadata.databaseType.toLowerCase().includes("asn"));
      if (!userHasAsn) asnTable = AsnTable.load(paths.asnV4, paths.asnV6);
    }
    return new GeoLookup(readers, asnTable);
  }

  lookup(ip: string): GeoInfo {
    let info = this.cache.get(ip);
    if (info) return info;
    info = { country: null, asn: null, asOrg: null };
    if (maxmind.validate(ip)) {
      for (const reader of this.readers) {
        const rec = reader.get(ip) as AnyGeoRecord | null;
        if (!rec) continue;
        info.country ??=
          rec.country_code ?? rec.country?.iso_code ?? rec.registered_country?.iso_code ?? null;
        if (info.asn === null && rec.autonomous_system_number !== undefined) {
          info.asn = rec.autonomous_system_number;
          info.asOrg = rec.autonomous_system_organization ?? null;
        }
      }
      if (info.asn === null && this.asnTable) {
        const v4 = ipv4ToInt(ip);
        const hit = Number.isNaN(v4) ? this.asnTable.lookupV6(ip) : this.asnTable.lookupV4(v4);
        if (hit) {
          info.asn = hit.asn;
          info.asOrg = hit.org;
        }
      }
    }
    if (this.cache.size > 500_000) this.cache.clear();
    this.cache.set(ip, info);
    return info;
  }
}
