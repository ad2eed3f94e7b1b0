/** Response shapes of the API (docs/api.md). Times are epoch seconds; non-finite numbers arrive as null. */

export interface Health {
  ok: boolean;
  version: string;
  revealIps: boolean;
  store: "sqlite" | "postgres";
  auth: boolean;
}

export interface Job {
  state: "processing" | "ready" | "failed";
  progress: number;
  requests: number;
  sessions: number;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface Incident {
  id: number;
  target: string;
  start: number;
  stop: number | null;
  status: "open" | "closed";
  origin: "manual" | "analyze" | "anomaly";
  source: string | null;
  comment: string | null;
  sessions: number;
  attacks: number;
  clustered: boolean;
  job: Job | null;
}

export interface Feature {
  name: string;
  label: string;
  auto: boolean;
}

export interface Paged<T> {
  total: number;
  offset: number;
  limit: number;
  rows: T[];
}

export interface SessionRow {
  id: number;
  ipHash: string;
  ip: string | null;
  sessionNumber: number;
  start: number;
  end: number;
  requests: number;
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  banned: boolean;
  cluster: number | null;
  cluster2: number | null;
  attack: number | null;
  features: Record<string, number | null>;
}

export interface Scatter {
  total: number;
  sampled: number;
  axes: string[];
  explained: number[] | null;
  points: [
    number | null,
    number | null,
    number | null,
    number | null,
    number | null,
    number | null,
    number,
  ][];
}

export interface ClusterSummary {
  incidentId: number;
  level: 1 | 2;
  within: number | null;
  algo: string;
  sessions: number;
  chosenK?: { k: number; silhouette: number };
  clusters: { cluster: number; sessions: number; means: Record<string, number | null> }[];
}

export interface ClusterAggregate {
  cluster: number;
  sessions: number;
  ips: number;
  bannedShare: number;
  attacks: Record<string, number>;
  countries: { country: string; sessions: number }[];
  asns: { asn: number | null; asOrg: string | null; sessions: number }[];
  seenInOtherIncident: number;
  seenInOtherAttack: number;
  parent?: number;
}

export interface Clusters {
  level: 1 | 2;
  clustered: boolean;
  clusters: ClusterAggregate[];
}

export interface BoxRow {
  cluster: number;
  n: number;
  min: number | null;
  q1: number | null;
  median: number | null;
  q3: number | null;
  max: number | null;
}

export interface CountryRow {
  country: string;
  sessions: number;
  ips: number;
}

export interface Overlap {
  against: { kind: string; id: number | string; ips: number };
  clusters: { cluster: number; ips: number; shared: number; share: number }[];
}

export interface Evidence {
  cluster: number;
  sessions: number;
  score: number;
  verdict: string;
  reasons: string[];
  declaredBotShare?: number;
  /** Each indicator's score against the incident's median session (0..1). */
  indicators?: Record<string, number>;
}

export interface ProposedAttack {
  number: number;
  sessions: number;
  start: number;
  end: number;
  confidence: number;
  clusters: number[];
  reasons: string[];
}

export interface Proposal {
  incidentId: number;
  clustered: boolean;
  recorded: boolean;
  evidence: Evidence[];
  attacks: ProposedAttack[];
}

export interface LabelResult {
  attack: { id: number; incidentId: number; number: number; method: string; comment: string | null };
  sessions: number;
}

export interface BotnetRef {
  id: number;
  name: string;
  decision: "matched" | "new" | "manual";
  score: number | null;
}

export interface Share {
  key: string;
  share: number;
}

export interface AttackReport {
  attackId: number;
  incidentId: number;
  number: number;
  target: string;
  method: "manual" | "auto";
  confidence: number | null;
  comment: string | null;
  sessions: number;
  ips: number;
  start: number;
  end: number;
  countries: Share[];
  topUserAgents: Share[];
  metrics: { sessionLength: number | null; imageHtmlRatio: number | null; hitRatePerMinute: number | null };
  botnet: BotnetRef | null;
}

export interface SimilarAttack {
  incidentId: number;
  number: number;
  target: string;
  distance: number | null;
  commonIps: number;
  shareOfThis: number;
  shareOfOther: number;
}

export interface CommonIps {
  incidentId: number;
  target: string;
  commonIps: number;
  shareOfAttack: number;
  shareOfIncident: number;
}

export interface MatchCandidate {
  botnetId: number;
  name: string;
  attacks: number;
  ips: number;
  overlap: { common: number; jaccard: number; ofA: number; ofB: number };
  behaviour: number;
  score: number;
}

export interface MatchResult {
  attack: { id: number; incidentId: number; number: number; ips: number };
  decision: "matched" | "new";
  botnet: { id: number; name: string } | null;
  recorded: boolean;
  candidates: MatchCandidate[];
}

export interface BotnetSummary {
  id: number;
  name: string;
  comment: string | null;
  attacks: number;
  ips: number;
  targets: string[];
  firstSeen: number | null;
  lastSeen: number | null;
}

export interface BotnetDetail {
  botnet: { id: number; name: string; comment: string | null; createdAt: number };
  ips: number;
  attacks: {
    attackId: number;
    incidentId: number;
    number: number;
    target: string;
    start: number;
    end: number;
    sessions: number;
    ips: number;
    score: number | null;
    decision: string;
  }[];
}

export interface AnomalyTarget {
  target: string;
  points: number;
  first: number;
  last: number;
  events: number;
  incidents: number;
}

export interface AnomalySeries {
  target: string;
  signal: string;
  threshold: number;
  interval: number;
  total: number;
  points: [number, number, number][];
}

export interface AnomalyEvent {
  id: number;
  target: string;
  kind: "started" | "stopped";
  channel: string;
  signal: string;
  score: number;
  at: number;
  incidentId: number | null;
}

export interface FlowRun {
  id: number;
  kind: "detect" | "periodicity";
  source: string;
  startedAt: number;
  finishedAt: number | null;
  windowSeconds: number | null;
  stepSeconds: number | null;
  parameters: Record<string, unknown> | null;
  hosts: number;
  red: number;
  yellow: number;
  mode?: "keepalive" | "relbot";
}

export type HostStatus = "red" | "yellow" | "clear";

export interface HostRow {
  hostHash: string;
  host: string | null;
  model: string;
  status: HostStatus;
  maxScore: number;
  windows: number;
  redWindows: number;
  yellowWindows: number;
  flows: number;
  botnetFlows: number;
  firstRed: number | null;
}

export interface HostDetail {
  hostHash: string;
  host: string | null;
  windowSeconds: number;
  models: {
    model: string;
    timeline: [number, number, number, number, HostStatus][];
    reasons: [number, HostStatus, string][];
  }[];
}

export interface Contact {
  peerHash: string;
  peer: string | null;
  proto: string;
  port: number | null;
  direction: string;
  kind: "keep-alive" | "beacon";
  periodMs: number;
  contacts: number;
  flows: number;
  first: number;
  last: number;
  missedBeats: number;
  fill: number;
  fit: number;
  phaseStability: number;
  phasePeakShare: number;
  jitterMs: number;
  confidence: number;
  beacon: {
    score: number;
    timestamps: number;
    sizes: number;
    histogram: number;
    coverage: number;
    medianIntervalMs: number;
  } | null;
  phaseHistogram: number[];
}

export interface PeriodicHost {
  hostHash: string;
  host: string | null;
  method: "beacon" | "relbot";
  peers: number;
  periodMs: number;
  score: number;
  phaseStability: number;
  periods: { periodMs: number; peers: number }[];
  contacts: Contact[];
}

export interface PeriodicityRun {
  run: {
    id: number;
    source: string;
    startedAt: number;
    mode: string;
    parameters: Record<string, unknown> | null;
  };
  hosts: PeriodicHost[];
}
