/** Every flow format on hand-written lines: exact field values, format detection, headers and trailers. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type FlowReadOptions, type FlowReadStats, readFlows } from "../../src/ingest/flows/reader.ts";
import { copyFlow, emptyFlow, type Flow, labelClass } from "../../src/ingest/flows/record.ts";
import { FlowTimes, parseNumber, parsePort } from "../../src/ingest/flows/scan.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-flows-formats-"));
let fileNo = 0;

async function readText(
  text: string,
  opts: FlowReadOptions = {},
): Promise<{ flows: Flow[]; stats: FlowReadStats }> {
  const path = join(dir, `f${fileNo++}.txt`);
  writeFileSync(path, Buffer.from(text, "latin1"));
  const flows: Flow[] = [];
  const stats = await readFlows([path], opts, (f) => flows.push(copyFlow(f)));
  return { flows, stats };
}

/** A flow with the defaults of a source that says little, overridden by `f`. */
function flow(f: Partial<Flow>): Flow {
  return { ...emptyFlow(), dir: "->", ...f };
}

const CTU13 =
  "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label";

describe("binetflow (Argus CSV)", () => {
  it("reads CTU-13 lines: padded Dir, hex ICMP ports, empty ports and tos, IPv6, labels", async () => {
    const text = [
      CTU13,
      "2011/08/16 10:01:46.972101,3599.986572,tcp,88.176.79.163,49213,  <?>,147.32.84.172,18250,A_PA,0,0,414671,415389446,10150692,flow=Background",
      "2011/08/16 10:01:47.788774,3596.680908,arp,147.32.87.78,,  who,147.32.87.78,,INT,,,655,39300,39300,flow=Background",
      "2011/08/16 10:02:13.313446,3511.545410,ipv6-icmp,2001:718:2:1612:0:1:0:310,135,   ->,ff02::1:ff1b:d243,,NNS,0,,7,602,602,flow=Background",
      "2011/08/16 10:05:01.000000,0.000000,icmp,147.32.84.165,0x0008,   ->,8.8.8.8,0x0d03,ECO,0,,1,98,98,flow=From-Botnet-V47-ICMP",
      "2011/08/16 11:00:00.5,1.5,UDP,147.32.84.170,53,  <->,147.32.80.9,1025,CON,192,3,2,200,80,flow=Normal-V47-UDP-DNS",
      "2011/08/16 11:00:01,0,udp,147.32.84.170,53,   ?>,147.32.80.9,1025,INT,0,0,1,100,100,",
    ].join("\n");
    const { flows, stats } = await readText(text);
    assert.equal(stats.format, "binetflow");
    assert.equal(stats.lines, 7);
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(flows[0], {
      start: 1313488906.972101,
      duration: 3599.986572,
      proto: "tcp",
      srcAddr: "88.176.79.163",
      srcPort: 49213,
      dir: "<?>",
      dstAddr: "147.32.84.172",
      dstPort: 18250,
      state: "A_PA",
      sTos: 0,
      dTos: 0,
      totPkts: 414671,
      totBytes: 415389446,
      srcBytes: 10150692,
      srcPkts: null,
      dstPkts: null,
      label: "Background",
      extra: null,
    });
    assert.deepEqual(
      { p: flows[1].proto, sp: flows[1].srcPort, dp: flows[1].dstPort, dir: flows[1].dir },
      { p: "arp", sp: null, dp: null, dir: "who" },
    );
    assert.equal(flows[1].sTos, null);
    assert.equal(flows[1].dTos, null);
    assert.equal(flows[2].srcAddr, "2001:718:2:1612:0:1:0:310");
    assert.equal(flows[2].dstAddr, "ff02::1:ff1b:d243");
    assert.equal(flows[2].proto, "ipv6-icmp");
    assert.equal(flows[2].sTos, 0);
    assert.equal(flows[2].dTos, null);
    assert.equal(flows[3].srcPort, 8);
    assert.equal(flows[3].dstPort, 0x0d03);
    assert.equal(flows[3].label, "From-Botnet-V47-ICMP");
    assert.equal(flows[4].start, 1313492400.5);
    assert.equal(flows[4].proto, "udp", "protocol lower-cased");
    assert.equal(flows[4].dir, "<->");
    assert.deepEqual([flows[4].sTos, flows[4].dTos], [192, 3]);
    assert.equal(flows[5].start, 1313492401);
    assert.equal(flows[5].dir, "?>");
    assert.equal(flows[5].label, null, "an empty label is null");
    assert.deepEqual(
      flows.map((f) => labelClass(f.label)),
      ["background", "background", "background", "botnet", "normal", null],
    );
  });

  it("maps a 36-column Argus header by name, epoch times, other numeric columns to extra", async () => {
    const header =
      "StartTime,LastTime,Dur,Flgs,Proto,SrcAddr,SrcMac,Sport,Dir,DstAddr,DstMac,Dport,sTos,dTos," +
      "TotPkts,SrcPkts,DstPkts,sTtl,dTtl,TotBytes,SrcBytes,DstBytes,Load,SrcLoad,DstLoad,Loss,pLoss," +
      "Rate,SrcRate,DstRate,SIntPkt,DIntPkt,SrcJitter,DstJitter,State,Label";
    assert.equal(header.split(",").length, 36);
    const row =
      "1313488906.972101,1313488910.972101,4.000000, e     ,tcp,147.32.84.165,00:11:22:33:44:55,1040,   ->," +
      "74.125.232.195,66:77:88:99:aa:bb,80,0,0,10,6,4,128,56,5000,1200,3800,10000.5,2400,7600,0,0.000000," +
      "2.25,1.25,1,0.5,0.75,0.125,0.0625,FSPA_FSPA,flow=From-Botnet-V42-TCP-HTTP";
    const { flows, stats } = await readText(`${header}\n${row}\n`);
    assert.equal(stats.format, "binetflow");
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(flows[0], {
      start: 1313488906.972101,
      duration: 4,
      proto: "tcp",
      srcAddr: "147.32.84.165",
      srcPort: 1040,
      dir: "->",
      dstAddr: "74.125.232.195",
      dstPort: 80,
      state: "FSPA_FSPA",
      sTos: 0,
      dTos: 0,
      totPkts: 10,
      totBytes: 5000,
      srcBytes: 1200,
      srcPkts: 6,
      dstPkts: 4,
      label: "From-Botnet-V42-TCP-HTTP",
      extra: {
        sTtl: 128,
        dTtl: 56,
        DstBytes: 3800,
        Load: 10000.5,
        SrcLoad: 2400,
        DstLoad: 7600,
        Loss: 0,
        pLoss: 0,
        Rate: 2.25,
        SrcRate: 1.25,
        DstRate: 1,
        SIntPkt: 0.5,
        DIntPkt: 0.75,
        SrcJitter: 0.125,
        DstJitter: 0.0625,
      },
    });
  });

  it("sums source and destination counts when there is no total, and takes Dur from LastTime", async () => {
    const text = [
      "StartTime,LastTime,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,SrcPkts,DstPkts,SrcBytes,DstBytes",
      "2011/08/16 10:00:00.250,2011/08/16 10:00:02.750,udp,10.0.0.1,5000,<->,10.0.0.2,53,3,2,300,500",
    ].join("\n");
    const { flows } = await readText(text);
    assert.equal(flows[0].duration, 2.5);
    assert.deepEqual(
      [flows[0].totPkts, flows[0].srcPkts, flows[0].dstPkts, flows[0].totBytes, flows[0].srcBytes],
      [5, 3, 2, 800, 300],
    );
    assert.equal(flows[0].extra, null);
  });

  it("reads lines before any header with the CTU-13 layout, and takes a header mid-stream", async () => {
    const ctu = "2011/08/16 10:01:46.5,1,tcp,1.2.3.4,1,   ->,5.6.7.8,2,S_,0,,1,60,60,flow=Normal";
    const other = "StartTime,SrcAddr,DstAddr,TotBytes";
    const { flows, stats } = await readText([ctu, other, "1313488906,1.1.1.1,2.2.2.2,99", ctu].join("\n"));
    assert.equal(stats.bad.total, 1, "the CTU-13 line after the 4-column header has the wrong field count");
    assert.deepEqual(stats.bad.toJSON().byReason, { "wrong-field-count": 1 });
    assert.equal(flows.length, 2);
    assert.equal(flows[1].totBytes, 99);
    assert.equal(flows[1].dir, "->", "no Dir column: unidirectional");
  });
});

describe("nfdump text", () => {
  it("reads `nfdump -o csv` and skips its summary trailer without counting it", async () => {
    const text = [
      "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr",
      "2024-02-08 15:16:39,2024-02-08 15:16:40,0.171,141.193.213.21,147.32.80.37,443,39210,TCP,...AP.SF,0,0,11,4483,0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,0.0.0.0,17/1,0,2026-11-22 09:48:13.305",
      "2024-02-08 15:16:42.500,2024-02-08 15:16:42.500,0.000,2001:db8::1,2001:db8::2,0,8.0,ICMP6,........,0,0,1,104,1,104,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,0.0.0.0,17/1,0,2026-11-22 09:48:13.305",
      "Summary",
      "flows,bytes,packets,avg_bps,avg_pps,avg_bpp",
      "2,4587,12,58357,140,51",
    ].join("\n");
    const { flows, stats } = await readText(text);
    assert.equal(stats.format, "nfdump-csv");
    assert.equal(stats.lines, 6);
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(flows[0], {
      start: 1707405399,
      duration: 0.171,
      proto: "tcp",
      srcAddr: "141.193.213.21",
      srcPort: 443,
      dir: "->",
      dstAddr: "147.32.80.37",
      dstPort: 39210,
      state: "...AP.SF",
      sTos: 0,
      dTos: 0,
      totPkts: 11,
      totBytes: 4483,
      srcBytes: 4483,
      srcPkts: 11,
      dstPkts: 0,
      label: null,
      extra: null,
    });
    assert.equal(flows[1].start, 1707405402.5);
    assert.equal(flows[1].srcAddr, "2001:db8::1");
    assert.equal(flows[1].dstPort, 8 * 256, "ICMP type.code");
    assert.equal(flows[1].proto, "icmp6");
    assert.deepEqual([flows[1].totPkts, flows[1].totBytes, flows[1].srcBytes], [2, 208, 104]);
  });

  it("reads relbot's `fmt:%ts %sa %sp %da %dp %byt` text with padded addresses, header and summary", async () => {
    const text = [
      "Date first seen              Src IP Addr Src Pt      Dst IP Addr Dst Pt    Bytes",
      "2018-01-12 15:37:30.942                           147.32.80.119  52324                            147.32.82.62    902       60",
      "2018-01-12 15:37:31.000                  2001:718:2:1612:0:1:0:310    135                       ff02::1:ff1b:d243      0      602",
      "2018-01-12 15:37:32.000    147.32.82.62    902    147.32.80.119  55238      1.5 M",
      "Summary: total flows: 3, total bytes: 1500662, total packets: 4652, avg bps: 58357, avg pps: 140, avg bpp: 51",
      "Time window: 2018-01-12 15:37:30 - 2018-01-12 15:38:03",
      "Total flows processed: 3, passed: 3, Blocks skipped: 0, Bytes read: 385916",
      "Sys: 0.0159s User: 0.0040s Wall: 0.0183s flows/second: 251025.3 Runtime: 0.0183s",
    ].join("\n");
    const { flows, stats } = await readText(text);
    assert.equal(stats.format, "nfdump-fmt");
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(
      flows[0],
      flow({
        start: 1515771450.942,
        srcAddr: "147.32.80.119",
        srcPort: 52324,
        dstAddr: "147.32.82.62",
        dstPort: 902,
        totBytes: 60,
        srcBytes: 60,
      }),
    );
    assert.equal(flows[1].srcAddr, "2001:718:2:1612:0:1:0:310");
    assert.equal(flows[1].dstAddr, "ff02::1:ff1b:d243");
    assert.equal(flows[2].totBytes, 1_500_000, "nfdump's M suffix without -N");
  });

  it("reads `nfdump -o long` lines (addr:port pairs, IPv6 addr.port, duration hh:mm:ss)", async () => {
    const text = [
      "Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP Addr:Port     Flags Tos  Packets    Bytes Flows",
      "2024-02-13 14:35:00.128     00:00:00.000 UDP       147.32.80.37:48924 ->      147.32.80.9:53    ........   0        1       76     1",
      "2024-02-13 14:35:29.083     00:01:02.169 TCP       2001:db8::1.44532 ->   2001:db8::20.443   ...AP.SF   0       13   1.2 M     1",
    ].join("\n");
    const { flows, stats } = await readText(text);
    assert.equal(stats.format, "nfdump-line");
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(flows[0], {
      ...flow({
        start: 1707834900.128,
        proto: "udp",
        srcAddr: "147.32.80.37",
        srcPort: 48924,
        dstAddr: "147.32.80.9",
        dstPort: 53,
        state: "........",
        sTos: 0,
        totPkts: 1,
        totBytes: 76,
        srcBytes: 76,
        srcPkts: 1,
      }),
    });
    assert.equal(flows[1].duration, 62.169);
    assert.deepEqual(
      [flows[1].srcAddr, flows[1].srcPort, flows[1].dstAddr, flows[1].dstPort],
      ["2001:db8::1", 44532, "2001:db8::20", 443],
    );
    assert.equal(flows[1].totBytes, 1_200_000);
  });
});

describe("Zeek conn.log", () => {
  it("reads TSV with its header, '-' for unset and (empty) sets, orig -> src", async () => {
    const t = "\t";
    const text = [
      "#separator \\x09",
      `#set_separator${t},`,
      `#empty_field${t}(empty)`,
      `#unset_field${t}-`,
      `#path${t}conn`,
      `#open${t}2019-01-01-00-00-00`,
      [
        "#fields",
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "proto",
        "service",
        "duration",
        "orig_bytes",
        "resp_bytes",
        "conn_state",
        "local_orig",
        "local_resp",
        "missed_bytes",
        "history",
        "orig_pkts",
        "orig_ip_bytes",
        "resp_pkts",
        "resp_ip_bytes",
        "tunnel_parents",
      ].join(t),
      `#types${t}time${t}string${t}addr${t}port${t}addr${t}port${t}enum${t}string${t}interval${t}count${t}count${t}string${t}bool${t}bool${t}count${t}string${t}count${t}count${t}count${t}count${t}set[string]`,
      "1331901000.000000\tCHhAvVGS1DHFjwGM9\t192.168.202.79\t50463\t192.168.229.251\t80\ttcp\thttp\t0.003510\t166\t214\tSF\t-\t-\t0\tShADadfF\t6\t498\t4\t438\t(empty)",
      "1331901000.020000\tC3eiCBGOLw3VtHfOj\tfe80::20c:29ff:fe47:c06f\t143\tff02::16\t0\ticmp\t-\t-\t-\t-\tOTH\t-\t-\t-\t-\t1\t76\t0\t0\t(empty)",
      `#close${t}2019-01-01-00-00-01`,
    ].join("\n");
    const { flows, stats } = await readText(text);
    assert.equal(stats.format, "zeek");
    assert.equal(stats.lines, 11);
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(flows[0], {
      start: 1331901000,
      duration: 0.00351,
      proto: "tcp",
      srcAddr: "192.168.202.79",
      srcPort: 50463,
      dir: "->",
      dstAddr: "192.168.229.251",
      dstPort: 80,
      state: "SF",
      sTos: null,
      dTos: null,
      totPkts: 10,
      totBytes: 936,
      srcBytes: 498,
      srcPkts: 6,
      dstPkts: 4,
      label: null,
      extra: { SAppBytes: 166, DAppBytes: 214, missed_bytes: 0 },
    });
    assert.deepEqual(
      flows[1],
      flow({
        start: 1331901000.02,
        proto: "icmp",
        srcAddr: "fe80::20c:29ff:fe47:c06f",
        srcPort: 143,
        dstAddr: "ff02::16",
        dstPort: 0,
        state: "OTH",
        totPkts: 1,
        totBytes: 76,
        srcBytes: 76,
        srcPkts: 1,
        dstPkts: 0,
      }),
    );
  });

  it("reads IoT-23's labelled conn.log (last columns separated by three spaces)", async () => {
    const fields =
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents   label   detailed-label";
    const row =
      "1525879831.015811\tCUmrqr4svHuSXJy5z7\t192.168.100.103\t51524\t65.127.233.163\t23\ttcp\t-\t2.999051\t0\t0\tS0\t-\t-\t0\tS\t3\t180\t0\t0\t-   Malicious   PartOfAHorizontalPortScan";
    const { flows, stats } = await readText(`#separator \\x09\n${fields}\n${row}\n`);
    assert.equal(stats.format, "zeek");
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.equal(flows[0].label, "Malicious");
    assert.equal(flows[0].dstPort, 23);
  });

  it("reads JSON lines: flat and nested id, ts as epoch or ISO, absent fields as unset", async () => {
    const text = [
      '{"ts":1331901000.0,"uid":"C1","id.orig_h":"192.168.202.79","id.orig_p":50463,"id.resp_h":"192.168.229.251","id.resp_p":80,"proto":"tcp","service":"http","duration":0.00351,"orig_bytes":166,"resp_bytes":214,"conn_state":"SF","missed_bytes":0,"history":"ShADadfF","orig_pkts":6,"orig_ip_bytes":498,"resp_pkts":4,"resp_ip_bytes":438}',
      '{"ts":"2012-03-16T12:30:00.500000Z","uid":"C2","id":{"orig_h":"10.0.0.1","orig_p":53,"resp_h":"10.0.0.2","resp_p":53},"proto":"udp","conn_state":"S0","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":0,"resp_ip_bytes":0,"label":"Benign"}',
    ].join("\n");
    const { flows, stats } = await readText(text);
    assert.equal(stats.format, "zeek-json");
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.deepEqual(flows[0], {
      start: 1331901000,
      duration: 0.00351,
      proto: "tcp",
      srcAddr: "192.168.202.79",
      srcPort: 50463,
      dir: "->",
      dstAddr: "192.168.229.251",
      dstPort: 80,
      state: "SF",
      sTos: null,
      dTos: null,
      totPkts: 10,
      totBytes: 936,
      srcBytes: 498,
      srcPkts: 6,
      dstPkts: 4,
      label: null,
      extra: { SAppBytes: 166, DAppBytes: 214, missed_bytes: 0 },
    });
    assert.deepEqual(
      flows[1],
      flow({
        start: 1331901000.5,
        proto: "udp",
        srcAddr: "10.0.0.1",
        srcPort: 53,
        dstAddr: "10.0.0.2",
        dstPort: 53,
        state: "S0",
        totPkts: 1,
        totBytes: 60,
        srcBytes: 60,
        srcPkts: 1,
        dstPkts: 0,
        label: "Benign",
      }),
    );
  });
});

describe("relbot text", () => {
  it("reads `<epoch_ms> <src> <dst>`", async () => {
    const { flows, stats } = await readText(
      "1700000282064 10.0.0.1 198.51.100.0\n1700002081546 2001:db8::1 198.51.100.1\n",
    );
    assert.equal(stats.format, "relbot");
    assert.deepEqual(flows, [
      flow({ start: 1700000282.064, srcAddr: "10.0.0.1", dstAddr: "198.51.100.0" }),
      flow({ start: 1700002081.546, srcAddr: "2001:db8::1", dstAddr: "198.51.100.1" }),
    ]);
  });
});

describe("bad lines in every format", () => {
  const cases: [string, string, [string, string][]][] = [
    // [format, a good line, [bad line, reason]...]
    [
      "zeek",
      "1331901000.5\tC1\t10.0.0.1\t53\t10.0.0.2\t53\tudp\tdns\t0.1\t10\t20\tSF\t-\t-\t0\tDd\t1\t38\t1\t48\t(empty)",
      [
        ["1331901000.5\tC1\t10.0.0.1\t53\t10.0.0.2", "truncated"],
        [
          "1331901000.5\tC1\t10.0.0.1\t53\t10.0.0.2\t53\tudp\tdns\t0.1\t10\t20\tSF\t-\t-\t0\tDd\t1\t38\t1\t48\t(empty)\tx",
          "wrong-field-count",
        ],
        [
          "yesterday\tC1\t10.0.0.1\t53\t10.0.0.2\t53\tudp\tdns\t0.1\t10\t20\tSF\t-\t-\t0\tDd\t1\t38\t1\t48\t(empty)",
          "bad-time",
        ],
        [
          "1331901000.5\tC1\t10.0.0.1\t53\t10.0.0.2\t53\tudp\tdns\t0.1\t10\t20\tSF\t-\t-\t0\tDd\tmany\t38\t1\t48\t(empty)",
          "bad-number",
        ],
      ],
    ],
    [
      "zeek-json",
      '{"ts":1.5,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"}',
      [
        ['{"ts":1.5,"id.orig_h":"10.0.0.1","id.resp_h":', "bad-json"],
        ['{"ts":"noon","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"}', "bad-time"],
        ['{"ts":1.5,"id.orig_h":"10.0.0.1","id.resp_h":"host name"}', "bad-address"],
        ['{"ts":1.5,"client_ip":"10.0.0.1"}', "wrong-format"],
      ],
    ],
    [
      "nfdump-fmt",
      "2018-01-12 15:37:30.942    147.32.80.119  52324     147.32.82.62    902       60",
      [
        ["2018-01-12 15:37:30.942    147.32.80.119  52324     147.32.82.62", "truncated"],
        [
          "2018-01-12 15:37:30.942    147.32.80.119  52324     147.32.82.62    902       60  1  2",
          "wrong-field-count",
        ],
        ["2018-01-12 15:37:30.942    147.32.80.119  52324     147.32.82.62    902       lots", "bad-number"],
        [
          "2018-01-12 15:37:30.942    2001:67c:1..e:ff  52324     147.32.82.62    902       60",
          "bad-address",
        ],
      ],
    ],
    [
      "relbot",
      "1700000282064 10.0.0.1 198.51.100.0",
      [
        ["1700000282064 10.0.0.1", "truncated"],
        ["1700000282064 10.0.0.1 198.51.100.0 x", "wrong-field-count"],
        ["17000002820.64 10.0.0.1 198.51.100.0", "bad-time"],
        ["1700000282064 10.0.0.1 not-an-ip", "bad-address"],
      ],
    ],
  ];
  for (const [format, good, bads] of cases) {
    it(`${format}: each bad line has its reason and line number, the good ones are read`, async () => {
      const lines = [good, ...bads.flatMap(([b]) => [b, good]), "\u0001\u0002\u0003 binary \u00ff"];
      const { flows, stats } = await readText(lines.join("\n"), {
        format: format as FlowReadOptions["format"],
      });
      assert.equal(stats.format, format);
      assert.equal(flows.length, bads.length + 1);
      const report = stats.bad.toJSON();
      assert.equal(report.total, bads.length + 1);
      bads.forEach(([, reason], i) => {
        const ex = report.examples[reason as keyof typeof report.examples] ?? [];
        assert.ok(
          ex.some((e) => e.line === 2 + 2 * i),
          `${format} line ${2 + 2 * i}: ${reason}; got ${stats.bad.describe().join(" | ")}`,
        );
      });
      assert.equal(report.byReason.binary, 1);
    });
  }
});

describe("scanners", () => {
  it("read times exactly as Number() reads the same decimal", () => {
    const t = new FlowTimes();
    const at = (s: string) => t.parse(s, 0, s.length);
    assert.equal(at("2011/08/16 10:01:46.972101"), Number("1313488906.972101"));
    assert.equal(at("2011/08/16 10:59:59.999999"), Number("1313492399.999999"));
    assert.equal(at("2011/08/16 11:00:00"), 1313492400, "a new hour after a cached one");
    assert.equal(at("2011-08-16T10:01:46Z"), 1313488906);
    assert.equal(at("2011-08-16T12:01:46+02:00"), 1313488906);
    assert.equal(at("1313488906.972101"), Number("1313488906.972101"));
    assert.equal(at("2011-08-16 10:01:46.123456789"), 1313488906 + 0.123456789);
    for (const bad of ["2011/13/16 10:01:46", "2011/08/16 25:01:46", "2011/08/16 10:61:46", "x", "", "12ab"])
      assert.ok(Number.isNaN(at(bad)), bad);
  });

  it("read numbers and ports", () => {
    const num = (s: string) => parseNumber(s, 0, s.length);
    const port = (s: string) => parsePort(s, 0, s.length);
    assert.equal(num("3599.986572"), 3599.986572);
    assert.equal(num("0.000467"), 0.000467);
    assert.equal(num("1e3"), 1000);
    assert.ok(Number.isNaN(num("")));
    assert.ok(Number.isNaN(num("0x10")));
    assert.ok(Number.isNaN(num("12a")));
    assert.equal(port("0x0008"), 8);
    assert.equal(port("0x0d03"), 0x0d03);
    assert.equal(port("65535"), 65535);
    assert.equal(port("3.1"), 3 * 256 + 1);
    assert.equal(port("http"), -1);
    assert.equal(port("0x"), -1);
  });
});
