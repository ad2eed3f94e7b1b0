import type { Config } from "../core/config.ts";
import type { Store } from "../store/open.ts";
import { type MatchResult, matchBotnet } from "./botnets.ts";
import { type AutoLabelResult, autoLabel } from "./label.ts";

export interface ChainResult {
  incidentId: number;
  labelling: AutoLabelResult;
  matches: MatchResult[];
}

/**
 * The automatic chain after an incident is filled: clustering, attack proposal, and the botnet decision
 * for each attack, recorded in the registry (incidents in time order, so earlier attacks are known first).
 */
export async function runAutoChain(
  store: Store,
  config: Config,
  incidentIds: number[],
  seed = 0,
): Promise<ChainResult[]> {
  const out: ChainResult[] = [];
  const labelled: { incidentId: number; labelling: AutoLabelResult }[] = [];
  for (const incidentId of incidentIds) {
    labelled.push({
      incidentId,
      labelling: await autoLabel(store, incidentId, { seed, gapSeconds: config.web.sessionGapSeconds }),
    });
  }
  // decide botnets attack by attack in time order across incidents
  const attacks = labelled
    .flatMap((l) =>
      l.labelling.attacks.map((a) => ({ incidentId: l.incidentId, number: a.number, start: a.start })),
    )
    .sort((a, b) => a.start - b.start);
  const matches = new Map<number, MatchResult[]>();
  for (const a of attacks) {
    const m = await matchBotnet(store, a.incidentId, a.number, { record: true });
    matches.set(a.incidentId, [...(matches.get(a.incidentId) ?? []), m]);
  }
  for (const l of labelled) out.push({ ...l, matches: matches.get(l.incidentId) ?? [] });
  return out;
}
