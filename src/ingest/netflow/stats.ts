/**
 * What a NetFlow/IPFIX decoder saw: datagrams and flow records per version, templates, records it could
 * not decode yet (unknown template), malformed datagrams by reason, and export loss from sequence gaps.
 * Every datagram is counted exactly once: decoded (maybe partly, see `malformed`) or malformed outright.
 */

export type MalformedReason =
  /** Shorter than its header, or than the record count it announces (v5). */
  | "truncated"
  /** Not version 5, 9 or 10. */
  | "unknown-version"
  /** IPFIX message length not the datagram length. */
  | "bad-length"
  /** A flowset/set header whose length is below 4 or runs past the datagram. */
  | "bad-set"
  /** A template that cannot be right (no fields, running past its set, no record bytes). */
  | "bad-template"
  /** A record whose variable-length field runs past its set. */
  | "bad-record";

export const MALFORMED_REASONS: readonly MalformedReason[] = [
  "truncated",
  "unknown-version",
  "bad-length",
  "bad-set",
  "bad-template",
  "bad-record",
];

export interface VersionCounts {
  datagrams: number;
  /** Flow records decoded into flows. */
  records: number;
}

export interface CollectorStats {
  datagrams: number;
  bytes: number;
  /** Flows out (all versions). */
  records: number;
  v5: VersionCounts;
  v9: VersionCounts;
  ipfix: VersionCounts;
  /** Templates learned (data and options), of which refreshes with a changed layout. */
  templates: number;
  templateChanges: number;
  /** IPFIX template withdrawals honoured. */
  templateWithdrawals: number;
  /** Options data records read (sampling, exporter boot time). */
  optionsRecords: number;
  /** Data records of a known template without an address pair (not flows). */
  recordsWithoutAddresses: number;
  unknownTemplate: {
    /** Data sets that arrived before their template. */
    sets: number;
    /** Their records, decoded once the template came. */
    decodedLater: number;
    /** Sets given up (never templated in time, or over the buffer limit). */
    dropped: number;
  };
  /** Datagrams with damage: the sets before the damage are still decoded. */
  malformed: number;
  malformedByReason: Partial<Record<MalformedReason, number>>;
  /** Export loss from sequence numbers: v5 and IPFIX count records, v9 export packets. */
  lostRecords: number;
  lostDatagrams: number;
  /** Sequence numbers that went backwards (exporter restart, reordering). */
  sequenceResets: number;
  /** Exporter/observation-domain streams seen. */
  exporters: number;
}

export function emptyCollectorStats(): CollectorStats {
  return {
    datagrams: 0,
    bytes: 0,
    records: 0,
    v5: { datagrams: 0, records: 0 },
    v9: { datagrams: 0, records: 0 },
    ipfix: { datagrams: 0, records: 0 },
    templates: 0,
    templateChanges: 0,
    templateWithdrawals: 0,
    optionsRecords: 0,
    recordsWithoutAddresses: 0,
    unknownTemplate: { sets: 0, decodedLater: 0, dropped: 0 },
    malformed: 0,
    malformedByReason: {},
    lostRecords: 0,
    lostDatagrams: 0,
    sequenceResets: 0,
    exporters: 0,
  };
}
