/**
 * relbot's intermediate text, one flow per line: `<epoch_ms> <src> <dst>` (what its pipeline makes of
 * nfdump's output and feeds to the timedetector). Only start and addresses are known: protocol "",
 * ports null, counts 0, direction "->".
 */
import { emptyFlow, type Flow, type FlowLineParser, type FlowParseResult } from "./record.ts";
import { isAddress, parseCount } from "./scan.ts";

export class RelbotParser implements FlowLineParser {
  readonly name = "relbot";

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return "empty";
    const a = line.indexOf(" ");
    if (a < 0) return "truncated";
    const b = line.indexOf(" ", a + 1);
    if (b < 0) return "truncated";
    if (line.indexOf(" ", b + 1) >= 0) return "wrong-field-count";
    const ms = parseCount(line, 0, a);
    if (ms < 0) return "bad-time";
    if (!isAddress(line, a + 1, b) || !isAddress(line, b + 1, line.length)) return "bad-address";
    const f = into ?? emptyFlow();
    f.start = ms / 1000;
    f.duration = 0;
    f.proto = "";
    f.srcAddr = line.slice(a + 1, b);
    f.srcPort = null;
    f.dir = "->";
    f.dstAddr = line.slice(b + 1);
    f.dstPort = null;
    f.state = "";
    f.sTos = null;
    f.dTos = null;
    f.totPkts = 0;
    f.totBytes = 0;
    f.srcBytes = 0;
    f.srcPkts = null;
    f.dstPkts = null;
    f.label = null;
    f.extra = null;
    return f;
  }
}
