import {
  behaviourSimilarity,
  type FeatureProfile,
  type Overlap,
  overlap,
  profile,
} from "../botnets/similarity.ts";
import { NotFoundError, UserError } from "../core/errors.ts";
import { type Attack, attackFeatureRows, attackIpHashes, findAttack, listAttacks } from "../store/attacks.ts";
import {
  botnetAttacks,
  createBotnet,
  findBotnet,
  linkAttack,
  listBotnets,
  nextBotnetName,
} from "../store/botnets.ts";
import type { Store } from "../store/open.ts";
import { AUTO_FEATURES } from "./label.ts";

/** IP overlap that counts as full evidence: 30% of an attack's bots seen before is no coincidence. */
const FULL_OVERLAP = 0.3;
/** Score below which an attack is a new botnet (calibrated on the simulator, see the tests). */
export const MATCH_THRESHOLD = 0.5;

export interface BotnetCandidate {
  botnetId: number;
  name: string;
  attacks: number;
  ips: number;
  overlap: Overlap;
  behaviour: number;
  score: number;
}

export interface MatchResult {
  attack: { id: number; incidentId: number; number: number; ips: number };
  candidates: BotnetCandidate[];
  decision: "matched" | "new";
  botnet: { id: number; name: string } | null;
  recorded: boolean;
}

export async function requireAttack(store: Store, incidentId: number, number: number): Promise<Attack> {
  const attack = await findAttack(store, incidentId, number);
  if (!attack) throw new NotFoundError(`incident ${incidentId} has no attack ${number}`);
  return attack;
}

/** Session features of an attack on a log1p scale: botnets are compared by orders of magnitude. */
async function attackRows(store: Store, attack: Attack): Promise<number[][]> {
  const rows = await attackFeatureRows(store, attack, AUTO_FEATURES);
  return rows.map((r) => r.map((v) => (Number.isNaN(v) ? v : Math.log1p(Math.max(0, v)))));
}

/**
 * "Has this botnet attacked before?": ranks the known botnets by the evidence that this attack is
 * theirs. IP evidence is the share of the attack's keyed IP hashes seen in the botnet's earlier attacks
 * (containment; Jaccard reported too), full at 30%; behaviour is Bothound's attack distance between the
 * attack's sessions and the botnet's, as a similarity. score = 0.75 * IP evidence + 0.25 * behaviour;
 * below 0.5 the attack is a new botnet. With `record`, the decision is stored (a new botnet is created).
 */
export async function matchBotnet(
  store: Store,
  incidentId: number,
  attackNumber: number,
  opts: { record?: boolean; threshold?: number; name?: string } = {},
): Promise<MatchResult> {
  const attack = await requireAttack(store, incidentId, attackNumber);
  const ips = await attackIpHashes(store, attack);
  if (ips.size === 0) throw new UserError(`attack ${attackNumber} of incident ${incidentId} has no sessions`);
  const own: FeatureProfile = profile(await attackRows(store, attack), AUTO_FEATURES.length);
  const candidates: BotnetCandidate[] = [];
  for (const botnet of await listBotnets(store)) {
    const attacks = (await botnetAttacks(store, botnet.id)).filter((a) => a.attackId !== attack.id);
    if (attacks.length === 0) continue;
    const botnetIps = new Set<string>();
    const rows: number[][] = [];
    for (const a of attacks) {
      const other = (await listAttacks(store, a.incidentId)).find((x) => x.id === a.attackId)!;
      for (const ip of await attackIpHashes(store, other)) botnetIps.add(ip);
      rows.push(...(await attackRows(store, other)));
    }
    const ov = overlap(ips, botnetIps);
    const behaviour = behaviourSimilarity(own, profile(rows, AUTO_FEATURES.length));
    const ipEvidence = Math.min(1, ov.ofA / FULL_OVERLAP);
    candidates.push({
      botnetId: botnet.id,
      name: botnet.name,
      attacks: attacks.length,
      ips: botnetIps.size,
      overlap: ov,
      behaviour,
      score: 0.75 * ipEvidence + 0.25 * behaviour,
    });
  }
  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  const threshold = opts.threshold ?? MATCH_THRESHOLD;
  const decision = best && best.score >= threshold ? "matched" : "new";
  let botnet: { id: number; name: string } | null =
    decision === "matched" ? { id: best.botnetId, name: best.name } : null;
  if (opts.record) {
    if (!botnet) {
      const created = await createBotnet(
        store,
        opts.name ?? (await nextBotnetName(store)),
        `first seen in incident ${incidentId}, attack ${attackNumber}`,
      );
      botnet = { id: created.id, name: created.name };
    }
    await linkAttack(store, {
      attackId: attack.id,
      botnetId: botnet.id,
      score: best?.score ?? null,
      decision,
      evidence: { candidates: candidates.slice(0, 5), threshold },
    });
  }
  return {
    attack: { id: attack.id, incidentId, number: attackNumber, ips: ips.size },
    candidates,
    decision,
    botnet,
    recorded: Boolean(opts.record),
  };
}

/** Links an attack to a named botnet by hand (created when new). */
export async function assignBotnet(
  store: Store,
  incidentId: number,
  attackNumber: number,
  name: string,
): Promise<void> {
  const attack = await requireAttack(store, incidentId, attackNumber);
  const botnet = (await findBotnet(store, name)) ?? (await createBotnet(store, name));
  await linkAttack(store, {
    attackId: attack.id,
    botnetId: botnet.id,
    score: null,
    decision: "manual",
    evidence: null,
  });
}

export async function describeBotnet(store: Store, idOrName: string) {
  const botnet = await findBotnet(store, /^\d+$/.test(idOrName) ? Number(idOrName) : idOrName);
  if (!botnet) throw new NotFoundError(`no botnet ${idOrName}`);
  const attacks = await botnetAttacks(store, botnet.id);
  const ips = new Set<string>();
  for (const a of attacks) {
    const attack = (await listAttacks(store, a.incidentId)).find((x) => x.id === a.attackId)!;
    for (const ip of await attackIpHashes(store, attack)) ips.add(ip);
  }
  return { botnet, ips: ips.size, attacks };
}
