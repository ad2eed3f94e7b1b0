import { Client, errors, type estypes } from "@elastic/elasticsearch";
import { UserError } from "../../core/errors.ts";
import { BadLines } from "../bad-lines.ts";
import { documentParser, type JsonFieldMapping } from "./json-lines.ts";
import { emptyRequest } from "./log-format.ts";
import type { WeblogStats } from "./reader.ts";
import type { WebRequest } from "./record.ts";

export interface ElasticsearchSource {
  url: string;
  /** Index prefix of the daily indices (Deflect: "deflect.log-" + YYYY.MM.DD). */
  indexPrefix?: string;
  target: string;
  /** Epoch seconds, [from, to). */
  from: number;
  to: number;
  pageSize?: number;
  /** API key or basic auth, from the environment (BOTSCOPE_ES_API_KEY, BOTSCOPE_ES_USER/PASSWORD). */
  apiKey?: string;
  username?: string;
  password?: string;
  jsonFields?: JsonFieldMapping;
}

/** The daily index names covering [from, to), as Deflect's logstash wrote them. */
export function dailyIndices(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  const day = 86400;
  for (let t = Math.floor(from / day) * day; t < to; t += day) {
    const d = new Date(t * 1000);
    const p = (n: number) => String(n).padStart(2, "0");
    out.push(`${prefix}${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}`);
  }
  return out;
}

/**
 * Requests for one target and time range from Elasticsearch (Deflect's index layout), paged with a
 * point in time and search_after in @timestamp order, so a long range is read completely and
 * consistently without deep from/size paging.
 */
export async function readElasticsearch(
  src: ElasticsearchSource,
  onRequest: (r: WebRequest) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<WeblogStats> {
  const client = new Client({
    node: src.url,
    auth: src.apiKey
      ? { apiKey: src.apiKey }
      : src.username
        ? { username: src.username, password: src.password ?? "" }
        : undefined,
    requestTimeout: 60_000,
    maxRetries: 2,
  });
  const parse = documentParser(src.jsonFields);
  const scratch = emptyRequest();
  const bad = new BadLines();
  const index = dailyIndices(src.indexPrefix ?? "deflect.log-", src.from, src.to).join(",");
  const host = src.target.toLowerCase();
  let documents = 0;
  let requests = 0;
  let pit: string | undefined;
  try {
    pit = (await client.openPointInTime({ index, keep_alive: "2m", ignore_unavailable: true })).id;
    let after: estypes.SortResults | undefined;
    for (;;) {
      const pitId: string = pit;
      const page: estypes.SearchResponse<Record<string, unknown>> = await client.search<
        Record<string, unknown>
      >({
        size: src.pageSize ?? 5000,
        pit: { id: pitId, keep_alive: "2m" },
        sort: [{ "@timestamp": { order: "asc" } }, { _shard_doc: { order: "asc" } }],
        search_after: after,
        track_total_hits: false,
        query: {
          bool: {
            filter: [
              {
                range: { "@timestamp": { gte: src.from * 1000, lt: src.to * 1000, format: "epoch_millis" } },
              },
              { terms: { client_request_host: [host, `www.${host}`] } },
            ],
          },
        },
      });
      pit = page.pit_id ?? pit;
      const hits = page.hits.hits;
      for (const hit of hits) {
        documents++;
        const r = hit._source ? parse(hit._source, scratch) : "bad-json";
        if (typeof r === "string") bad.add(r, `${hit._index}`, documents, `_id ${hit._id}`);
        else {
          requests++;
          onRequest(r);
        }
      }
      if (afterBatch) await afterBatch();
      if (hits.length === 0 || hits.length < (src.pageSize ?? 5000)) break;
      after = hits[hits.length - 1].sort;
    }
  } catch (e) {
    throw new UserError(`Elasticsearch ${src.url}: ${describeEsError(e)}`);
  } finally {
    if (pit) await client.closePointInTime({ id: pit }).catch(() => undefined);
    await client.close();
  }
  return { format: "elasticsearch", lines: documents, requests, bad };
}

function describeEsError(e: unknown): string {
  if (e instanceof errors.ResponseError) {
    const reason = (e.body as { error?: { reason?: string } } | undefined)?.error?.reason;
    return `HTTP ${e.statusCode}${reason ? `: ${reason}` : ""}`;
  }
  if (e instanceof errors.ConnectionError) return `cannot connect (${e.message})`;
  if (e instanceof errors.ProductNotSupportedError) return "the server is not Elasticsearch";
  return (e as Error).message;
}
