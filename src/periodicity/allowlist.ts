/**
 * Well-known periodic services (NTP polls, DNS to resolvers, DHCP renewals, discovery protocols): regular
 * by design, so the keep-alive detector sets them aside instead of reporting them. Configurable:
 * `--allow-services ntp,dns,udp/8125,tcp/443@10.0.0.5,@192.0.2.1` (names, [proto/]port[@address],
 * @address for every service of a host), `none` for an empty list, `default,...` to extend the defaults.
 */
import { UsageError } from "../core/errors.ts";

export interface AllowedService {
  /** Name shown in summaries ("ntp", "udp/8125", "@192.0.2.1"). */
  name: string;
  /** Lower-case protocol; undefined: any. */
  proto?: string;
  /** Service port; undefined: any port of `address`. */
  port?: number;
  /** Only towards (or from) this address; undefined: any. */
  address?: string;
}

/** Named services: protocol and ports. */
export const WELL_KNOWN_SERVICES: Readonly<Record<string, readonly { proto?: string; port: number }[]>> = {
  ntp: [{ proto: "udp", port: 123 }],
  dns: [{ port: 53 }],
  mdns: [{ proto: "udp", port: 5353 }],
  llmnr: [{ port: 5355 }],
  dhcp: [
    { proto: "udp", port: 67 },
    { proto: "udp", port: 68 },
  ],
  dhcpv6: [
    { proto: "udp", port: 546 },
    { proto: "udp", port: 547 },
  ],
  netbios: [
    { proto: "udp", port: 137 },
    { proto: "udp", port: 138 },
  ],
  ssdp: [{ proto: "udp", port: 1900 }],
  snmp: [
    { proto: "udp", port: 161 },
    { proto: "udp", port: 162 },
  ],
};

export const DEFAULT_ALLOWED_NAMES = ["ntp", "dns", "mdns", "llmnr", "dhcp", "dhcpv6", "netbios", "ssdp"];

function named(name: string): AllowedService[] {
  const list = WELL_KNOWN_SERVICES[name];
  if (!list) return [];
  return list.map((s) => ({ name, proto: s.proto, port: s.port }));
}

/** Parses the `--allow-services` list (comma-separated entries; see the module comment). */
export function parseAllowlist(text: string | string[]): AllowedService[] {
  const items = (Array.isArray(text) ? text : [text])
    .flatMap((t) => t.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  const out: AllowedService[] = [];
  for (const item of items) {
    const lower = item.toLowerCase();
    if (lower === "none") continue;
    if (lower === "default") {
      out.push(...defaultAllowlist());
      continue;
    }
    if (WELL_KNOWN_SERVICES[lower]) {
      out.push(...named(lower));
      continue;
    }
    const m = /^(?:(tcp|udp|sctp|icmp|[a-z0-9-]+)\/)?(\d{1,5})?(?:@(\S+))?$/i.exec(item);
    if (!m || (!m[2] && !m[3]) || (m[2] && Number(m[2]) > 65535)) {
      throw new UsageError(
        `--allow-services: cannot read "${item}" (names: ${Object.keys(WELL_KNOWN_SERVICES).join(", ")}, none, default; or [proto/]port[@address], @address)`,
      );
    }
    out.push({
      name: item,
      proto: m[1]?.toLowerCase(),
      port: m[2] ? Number(m[2]) : undefined,
      address: m[3],
    });
  }
  return out;
}

export function defaultAllowlist(): AllowedService[] {
  return DEFAULT_ALLOWED_NAMES.flatMap(named);
}

/**
 * Whether a contact is an allowed service: `proto` and `port` are the pair's protocol and service port
 * (-1 when unknown, as in relbot's text, which has no ports), `server` the address on the service side.
 * Returns the matching entry's name or undefined.
 */
export function allowedService(
  list: readonly AllowedService[],
  proto: string,
  port: number,
  server: string,
  client: string,
): string | undefined {
  for (const s of list) {
    if (s.proto !== undefined && s.proto !== proto) continue;
    if (s.port !== undefined && s.port !== port) continue;
    if (s.address !== undefined && s.address !== server && s.address !== client) continue;
    return s.name;
  }
  return undefined;
}
