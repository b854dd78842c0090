import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { type Host, type Lan, NetLab, netnsUnavailable } from "./helpers/netns.js";

/**
 * LanDiscovery (packages/client/src/p2p/lan-discovery.ts, built) across real network namespaces:
 * LAN1 holds a, b, c and the dual-homed m; LAN2 holds d and m. Each host runs the probe
 * (helpers/discovery-probe.mjs) in its namespace; the assertions read what each probe saw.
 */

const PROBE = fileURLToPath(new URL("./helpers/discovery-probe.mjs", import.meta.url));
const REPO = fileURLToPath(new URL("../..", import.meta.url));

const unavailable = await netnsUnavailable();
const CI = process.env.CI === "true";
if (unavailable && !CI) console.warn(`lan-discovery.test.ts skipped: ${unavailable}`);

interface Sighting {
  instance: string;
  addresses: string[];
  port: number;
  tags: string[];
}

/** A probe process: what it printed, parsed. */
class Probe {
  readonly lines: Array<Record<string, unknown>> = [];
  instance = "";
  private rest = "";
  constructor(
    readonly host: Host,
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      const parts = (this.rest + chunk).split("\n");
      this.rest = parts.pop() ?? "";
      for (const line of parts) {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (value.event === "ready") this.instance = String(value.instance);
        this.lines.push(value);
      }
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => process.stderr.write(`[${host.name}] ${chunk}`));
  }

  /** Sightings of `other` (by instance). */
  sightingsOf(other: Probe | string): Sighting[] {
    const instance = typeof other === "string" ? other : other.instance;
    return this.lines.filter((l) => l.event === "seen" && l.instance === instance) as unknown as Sighting[];
  }

  /** True when it saw `other` with exactly these addresses, its port and these tags. */
  saw(other: Probe, addresses: string[], tags: string[]): boolean {
    return this.sightingsOf(other).some(
      (s) =>
        s.port === other.port &&
        JSON.stringify(s.addresses) === JSON.stringify(addresses) &&
        JSON.stringify(s.tags) === JSON.stringify(tags),
    );
  }

  send(command: unknown): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

const tag = (digit: string) => digit.repeat(16);

describe.skipIf(unavailable !== undefined && !CI)("LAN discovery across network namespaces", () => {
  let lab: NetLab;
  let lan1: Lan;
  let lan2: Lan;
  const probes: Record<string, Probe> = {};

  async function startProbe(host: Host, port: number, tags: string[]): Promise<Probe> {
    const child = lab.spawnIn(
      host,
      process.execPath,
      [PROBE, JSON.stringify({ port, tags, announceEveryMs: 2_000, queryEveryMs: 2_000 })],
      { cwd: REPO },
    );
    const probe = new Probe(host, child, port);
    await waitFor(() => probe.instance !== "" || !probe.alive, { message: `probe ${host.name} ready` });
    expect(probe.alive, `probe ${host.name} exited`).toBe(true);
    return probe;
  }

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI=true but network namespaces are unavailable: ${unavailable}`);
    lab = await NetLab.create();
    lan1 = await lab.lan("lan1");
    lan2 = await lab.lan("lan2");
    const hosts = {
      a: await lab.host("a", [[lan1, "10.71.1.1"]]),
      b: await lab.host("b", [[lan1, "10.71.1.2"]]),
      c: await lab.host("c", [[lan1, "10.71.1.3"]]),
      d: await lab.host("d", [[lan2, "10.71.2.4"]]),
      m: await lab.host("m", [
        [lan1, "10.71.1.5"],
        [lan2, "10.71.2.5"],
      ]),
    };
    const ports = { a: 4001, b: 4002, c: 4003, d: 4004, m: 4005 };
    const tags = { a: tag("a"), b: tag("b"), c: tag("c"), d: tag("d"), m: tag("5") };
    await Promise.all(
      (Object.keys(hosts) as Array<keyof typeof hosts>).map(async (name) => {
        probes[name] = await startProbe(hosts[name], ports[name], [tags[name]]);
      }),
    );
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  const p = (name: string): Probe => {
    const probe = probes[name];
    if (!probe) throw new Error(`no probe ${name}`);
    return probe;
  };

  it("peers on one LAN see each other's address, port and tags", async () => {
    const lan1Hosts = { a: "10.71.1.1", b: "10.71.1.2", c: "10.71.1.3" };
    for (const viewer of Object.keys(lan1Hosts)) {
      for (const [seen, address] of Object.entries(lan1Hosts)) {
        if (seen === viewer) continue;
        await waitFor(() => p(viewer).saw(p(seen), [address], [tag(seen)]), {
          message: `${viewer} sees ${seen}`,
        });
      }
      expect(p(viewer).sightingsOf(p(viewer))).toEqual([]); // never itself
    }
  });

  it("a dual-homed host is seen on both LANs, with the address of each, and sees both", async () => {
    for (const viewer of ["a", "b", "c"]) {
      await waitFor(() => p(viewer).saw(p("m"), ["10.71.1.5"], [tag("5")]), { message: `${viewer} sees m` });
    }
    await waitFor(() => p("d").saw(p("m"), ["10.71.2.5"], [tag("5")]), { message: "d sees m" });
    await waitFor(() => p("m").saw(p("d"), ["10.71.2.4"], [tag("d")]), { message: "m sees d" });
    for (const [seen, address] of [
      ["a", "10.71.1.1"],
      ["b", "10.71.1.2"],
      ["c", "10.71.1.3"],
    ] as const) {
      await waitFor(() => p("m").saw(p(seen), [address], [tag(seen)]), { message: `m sees ${seen}` });
    }
    // each LAN got only the A record of its own interface
    expect(
      p("a")
        .sightingsOf(p("m"))
        .every((s) => s.addresses.join() === "10.71.1.5"),
    ).toBe(true);
    expect(
      p("d")
        .sightingsOf(p("m"))
        .every((s) => s.addresses.join() === "10.71.2.5"),
    ).toBe(true);
  });

  it("LAN2's host and LAN1's single-homed hosts never see each other", async () => {
    // Two more of m's announcements reaching d (every 2 s) prove d kept listening across the cycles
    // in which a, b and c announced too.
    const seenOfM = p("d").sightingsOf(p("m")).length;
    await waitFor(() => p("d").sightingsOf(p("m")).length >= seenOfM + 2, {
      message: "two more announcements of m at d",
    });
    for (const name of ["a", "b", "c"]) {
      expect(p("d").sightingsOf(p(name))).toEqual([]);
      expect(p(name).sightingsOf(p("d"))).toEqual([]);
    }
    expect(
      p("d")
        .lines.filter((l) => l.event === "seen")
        .every((l) => l.instance === p("m").instance),
    ).toBe(true);
  });

  it("new tags are seen after setTags", async () => {
    const next = [tag("1"), tag("2")];
    p("a").send({ cmd: "setTags", tags: next });
    for (const viewer of ["b", "c", "m"]) {
      await waitFor(() => p(viewer).saw(p("a"), ["10.71.1.1"], next), {
        message: `${viewer} sees a's new tags`,
      });
    }
  });

  it("malformed packets are dropped, the probes survive and keep working", async () => {
    const fake = "e".repeat(16);
    const good = (overrides: {
      port?: number;
      txt?: string[];
      a?: string;
      target?: string;
      instance?: string;
    }) =>
      dnsPacket.encode({
        type: "response",
        answers: [
          {
            name: "_volly-p2p._tcp.local",
            type: "PTR",
            ttl: 4500,
            data: `${overrides.instance ?? fake}._volly-p2p._tcp.local`,
          },
          {
            name: `${overrides.instance ?? fake}._volly-p2p._tcp.local`,
            type: "SRV",
            ttl: 120,
            data: { port: overrides.port ?? 4999, target: overrides.target ?? `${fake}.local` },
          },
          {
            name: `${overrides.instance ?? fake}._volly-p2p._tcp.local`,
            type: "TXT",
            ttl: 4500,
            data: overrides.txt ?? [`t=${tag("f")}`],
          },
          {
            name: overrides.target ?? `${fake}.local`,
            type: "A",
            ttl: 120,
            data: overrides.a ?? "10.71.1.99",
          },
        ],
      });
    const control = `${"c".repeat(15)}d`; // a well-formed fake peer: proves the packets are delivered
    const packets = [
      Buffer.from("this is not DNS at all"),
      Buffer.alloc(600, 0xff),
      good({}).subarray(0, 40), // truncated
      good({ port: 0 }),
      good({ txt: ["t=NOTHEXNOTHEXNOTH"] }),
      good({ txt: ["t=abc"] }),
      good({ txt: Array.from({ length: 65 }, (_, i) => `t=${i.toString(16).padStart(16, "0")}`) }),
      good({ a: "224.0.0.251" }),
      good({ target: "not-a-volly-host.local" }),
      good({ instance: "ZZZZ" }),
      good({ instance: control, target: `${control}.local` }),
    ];
    const sender = lab.spawnIn(
      p("b").host,
      process.execPath,
      [
        "-e",
        `const s = require("node:dgram").createSocket({ type: "udp4", reuseAddr: true });
         s.bind(0, () => {
           s.setMulticastInterface("10.71.1.2");
           const packets = JSON.parse(process.argv[1]).map((h) => Buffer.from(h, "hex"));
           let left = packets.length;
           for (const p of packets) s.send(p, 5353, "224.0.0.251", () => { if (--left === 0) s.close(); });
         });`,
        JSON.stringify(packets.map((b) => b.toString("hex"))),
      ],
      { stdio: "inherit" },
    );
    await new Promise((resolve) => sender.once("exit", resolve));
    expect(sender.exitCode).toBe(0);

    // the control packet arrived (so did the malformed ones, sent before it on the same socket)
    for (const viewer of ["a", "c", "m"]) {
      await waitFor(() => p(viewer).sightingsOf(control).length > 0, {
        message: `${viewer} sees the control`,
      });
      expect(p(viewer).sightingsOf(fake)).toEqual([]);
      expect(p(viewer).lines.filter((l) => l.event === "error")).toEqual([]);
    }
    for (const name of ["a", "b", "c", "d", "m"]) expect(p(name).alive, `${name} alive`).toBe(true);
    // and they keep working
    p("c").send({ cmd: "setTags", tags: [tag("3")] });
    await waitFor(() => p("a").saw(p("c"), ["10.71.1.3"], [tag("3")]), {
      message: "a sees c's tags after garbage",
    });
  });

  it("a cut link stops sightings until it is restored", async () => {
    await lab.cut(p("c").host, lan1);
    const before = p("a").sightingsOf(p("c")).length;
    p("c").send({ cmd: "setTags", tags: [tag("4")] });
    // two announcement periods: b, still on the LAN, is seen twice more by a meanwhile
    const ofB = p("a").sightingsOf(p("b")).length;
    await waitFor(() => p("a").sightingsOf(p("b")).length >= ofB + 2, {
      message: "two more announcements of b at a",
    });
    expect(p("a").sightingsOf(p("c")).length).toBe(before);
    await lab.restore(p("c").host, lan1);
    await waitFor(() => p("a").saw(p("c"), ["10.71.1.3"], [tag("4")]), { message: "a sees c again" });
  });

  it("a stopped peer says goodbye", async () => {
    p("b").send({ cmd: "stop" });
    await waitFor(() => p("a").lines.some((l) => l.event === "gone" && l.instance === p("b").instance), {
      message: "a hears b's goodbye",
    });
  });
});
