import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/**
 * The botscope store. Times are epoch seconds (double precision, sub-second kept); flags are 0/1
 * integers so SQLite and PostgreSQL share one code path. IPs appear only as a keyed hash (`*_hash`) and an
 * AES-256-GCM token (`*_encrypted`); `ip_plain` is filled only when the user asks for plain IPs.
 */
export interface Database {
  encryption_keys: EncryptionKeyTable;
  targets: TargetTable;
  incidents: IncidentTable;
  sessions: SessionTable;
  user_agents: UserAgentTable;
  session_user_agents: SessionUserAgentTable;
  attacks: AttackTable;
  botnets: BotnetTable;
  attack_botnets: AttackBotnetTable;
  anomaly_events: AnomalyEventTable;
  anomaly_points: AnomalyPointTable;
  flow_runs: FlowRunTable;
  host_scores: HostScoreTable;
  periodicity_findings: PeriodicityFindingTable;
}

type Id = Generated<number>;
type CreatedAt = ColumnType<number, number | undefined, never>;

export interface EncryptionKeyTable {
  id: Id;
  /** Hash of the derived key: identifies it, cannot decrypt. */
  fingerprint: string;
  kdf: string;
  /** base64 scrypt salt (not secret). */
  salt: string;
  /** JSON of the KDF parameters. */
  params: string;
  comment: string | null;
  created_at: CreatedAt;
}

export interface TargetTable {
  id: Id;
  host: string;
  created_at: CreatedAt;
}

export interface IncidentTable {
  id: Id;
  target_id: number;
  start: number;
  /** null while the incident is open. */
  stop: number | null;
  status: "open" | "closed";
  /** What opened it: a person, `web analyze`, or the anomaly watcher. */
  origin: "manual" | "analyze" | "anomaly";
  source: string | null;
  comment: string | null;
  key_id: number | null;
  processed: Generated<number>;
  created_at: CreatedAt;
}

/** Bothound's ten behaviour features (corrected definitions) and botscope's additions. */
export const SESSION_FEATURES = [
  "request_interval",
  "ua_change_rate",
  "html2image_ratio",
  "variance_request_interval",
  "payload_average",
  "error_rate",
  "request_depth",
  "request_depth_std",
  "session_length",
  "percentage_cons_requests",
  "server_error_rate",
  "head_share",
  "post_share",
  "distinct_path_ratio",
  "distinct_query_ratio",
  "path_depth_mean",
  "path_depth_var",
  "css_html_ratio",
  "js_html_ratio",
  "image_html_ratio",
  "ua_count",
] as const;
export type SessionFeature = (typeof SESSION_FEATURES)[number];
type FeatureColumns = { [K in SessionFeature]: number | null };

export interface SessionTable extends FeatureColumns {
  id: Id;
  incident_id: number;
  ip_hash: string;
  ip_encrypted: string | null;
  ip_plain: string | null;
  host: string | null;
  session_number: number;
  start_time: number;
  end_time: number;
  requests: number;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  banned: number;
  ban_rule: string | null;
  cluster_index: number | null;
  cluster_index2: number | null;
  attack: number | null;
  outlier_score: number | null;
}

export interface UserAgentTable {
  id: Id;
  ua_hash: string;
  ua: string;
  family: string | null;
  os: string | null;
  device: string | null;
  is_bot: number;
}

export interface SessionUserAgentTable {
  session_id: number;
  user_agent_id: number;
  requests: number;
}

export interface AttackTable {
  id: Id;
  incident_id: number;
  /** Attack number within the incident, as in Bothound's label_attack. */
  number: number;
  label_method: "manual" | "auto";
  confidence: number | null;
  comment: string | null;
  created_at: CreatedAt;
}

export interface BotnetTable {
  id: Id;
  name: string;
  comment: string | null;
  created_at: CreatedAt;
}

export interface AttackBotnetTable {
  attack_id: number;
  botnet_id: number;
  score: number | null;
  decision: "matched" | "new" | "manual";
  /** JSON evidence behind the decision. */
  evidence: string | null;
  created_at: CreatedAt;
}

export interface AnomalyEventTable {
  id: Id;
  target_id: number;
  kind: "started" | "stopped";
  channel: string;
  /** Which series fired: success_ratio, request_rate, ip_rate. */
  signal: string;
  score: number;
  at: number;
  incident_id: number | null;
  created_at: CreatedAt;
}

/** One scored bucket of a watched target's series (what the dashboard draws as the anomaly timeline). */
export interface AnomalyPointTable {
  target_id: number;
  /** success_ratio, request_rate or ip_rate. */
  signal: string;
  /** Bucket start. */
  at: number;
  value: number;
  score: number;
  /** The score that opened incidents in the run that wrote the point. */
  threshold: number | null;
  interval_seconds: number;
}

export interface FlowRunTable {
  id: Id;
  kind: "detect" | "periodicity";
  source: string;
  started_at: number;
  finished_at: number | null;
  window_seconds: number | null;
  step_seconds: number | null;
  /** JSON: model names, or the periodicity parameters. */
  parameters: string | null;
  key_id: number | null;
  created_at: CreatedAt;
}

export interface HostScoreTable {
  id: Id;
  run_id: number;
  host_hash: string;
  host_encrypted: string | null;
  window_start: number;
  window_end: number;
  model: string;
  flows: number;
  botnet_flows: number;
  score: number;
  status: "red" | "yellow" | "clear";
  reason: string | null;
}

export interface PeriodicityFindingTable {
  id: Id;
  run_id: number;
  src_hash: string;
  src_encrypted: string | null;
  dst_hash: string | null;
  dst_encrypted: string | null;
  method: "relbot" | "beacon";
  period_ms: number;
  /** relbot: number of periodic destinations; beacon: 1 per pair. */
  count: number;
  score: number | null;
  detail: string | null;
}

export type Incident = Selectable<IncidentTable>;
export type NewIncident = Insertable<IncidentTable>;
export type Session = Selectable<SessionTable>;
export type NewSession = Insertable<SessionTable>;
export type EncryptionKey = Selectable<EncryptionKeyTable>;
