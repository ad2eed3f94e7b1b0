import type { Config } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import { getIncident } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import { SESSION_FEATURES } from "../store/schema.ts";
import { sessionsOfIncident } from "../store/sessions.ts";
import { unlockKey } from "./keys.ts";

export const SESSION_EXPORT_COLUMNS = [
  "session_id",
  "ip",
  "ip_hash",
  "session_number",
  "start_time",
  "end_time",
  "requests",
  ...SESSION_FEATURES,
  "country",
  "asn",
  "banned",
  "cluster_index",
  "cluster_index2",
  "attack",
];

/**
 * The sessions of an incident as flat rows. IPs are revealed only on request, and only after the
 * incident's key has been opened, so a wrong passphrase fails before anything is produced.
 */
export async function exportSessions(
  store: Store,
  config: Config,
  incidentId: number,
  opts: { revealIps: boolean },
): Promise<Record<string, unknown>[]> {
  const incident = await getIncident(store, incidentId);
  if (!incident) throw new UserError(`no incident ${incidentId}`);
  let reveal: ((token: string | null, plain: string | null) => string | null) | undefined;
  if (opts.revealIps) {
    if (incident.key_id == null) {
      reveal = (_t, plain) => plain;
    } else {
      const cipher = await unlockKey(store, config, incident.key_id);
      reveal = (token, plain) => plain ?? (token ? cipher.decrypt(token) : null);
    }
  }
  const sessions = await sessionsOfIncident(store, incidentId);
  return sessions.map((s) => {
    const row: Record<string, unknown> = { ...s, session_id: s.id };
    row.ip = reveal ? reveal(s.ip_encrypted, s.ip_plain) : null;
    return row;
  });
}
