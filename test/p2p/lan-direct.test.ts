import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { jsonLines } from "../integration/helpers/cli.js";
import { type Host, type Lan, NetLab, netnsUnavailable } from "./helpers/netns.js";
import {
  DAEMON_POLL,
  daemonApi,
  type NsDaemon,
  type NsProcess,
  routeThrough,
  runVollyIn,
  setUpGroupIn,
  startDaemonIn,
  startServerIn,
} from "./helpers/ns-volly.js";

const unavailable = await netnsUnavailable();
const CI = process.env.CI === "true";
if (unavailable && !CI) console.warn(`lan-direct.test.ts skipped: ${unavailable}`);

/**
 * Direct paths on a real LAN made of network namespaces (issue 17). alice (host a) and bob (host b)
 * share the LAN; the server (host s) is on another network behind a router (host r), where carol
 * (host c, off the LAN, no direct paths) also is. alice and bob run `volly daemon --direct`; they find
 * each other by mDNS and open a WebRTC data channel signaled inside MLS. A message goes direct and to
 * the server; with the router's LAN link cut they keep messaging; once it is back the server's log
 * has each message exactly once and carol receives them all, each sender's in order. Neither the
 * server's database nor its output holds an SDP or a LAN address.
 */
describe.skipIf(unavailable !== undefined && !CI)("direct paths on a LAN (network namespaces)", () => {
  const home = tempDir("volly-lan-direct-");
  const serverData = join(home, "server");
  let lab: NetLab;
  let lan: Lan;
  let r: Host;
  let a: Host;
  let b: Host;
  let c: Host;
  let server: NsProcess & { url: string };
  let alice: NsDaemon;
  let bob: NsDaemon;
  let groupId = "";
  const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

  const direct = (host: Host, daemon: NsDaemon) => daemonApi(lab, host, daemon).direct();
  const messages = (host: Host, daemon: NsDaemon) => daemonApi(lab, host, daemon).messages(groupId);
  const send = (host: Host, daemon: NsDaemon, text: string) =>
    daemonApi(lab, host, daemon).send(groupId, text);

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI=true but network namespaces are unavailable: ${unavailable}`);
    lab = await NetLab.create();
    lan = await lab.lan("lan");
    const wan = await lab.lan("wan");
    r = await lab.host("r", [
      [lan, "10.77.1.254"],
      [wan, "10.77.2.254"],
    ]);
    a = await lab.host("a", [[lan, "10.77.1.1"]]);
    b = await lab.host("b", [[lan, "10.77.1.2"]]);
    const s = await lab.host("s", [[wan, "10.77.2.10"]]);
    c = await lab.host("c", [[wan, "10.77.2.3"]]);
    await routeThrough(r, [a, b, s, c]);
    server = await startServerIn(lab, s, "10.77.2.10", 7777, serverData);
    groupId = await setUpGroupIn(
      lab,
      [
        ["alice", a],
        ["bob", b],
        ["carol", c],
      ],
      as,
      server.url,
      "LAN party",
    );
    [alice, bob] = await Promise.all([
      startDaemonIn(lab, a, as("alice"), join(home, "alice")),
      startDaemonIn(lab, b, as("bob"), join(home, "bob")),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alice?.stop(), bob?.stop()].map((p) => p?.catch(() => undefined)));
    await server?.stop().catch(() => undefined);
    await lab?.cleanup();
  });

  // A failure prints what the daemons and the server said last: CI keeps only the test's output.
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      for (const [name, running] of [
        ["alice", alice],
        ["bob", bob],
        ["the server", server],
      ] as const) {
        const tail = running?.output().split("\n").slice(-40).join("\n");
        console.error(`--- ${name}'s last output ---\n${tail}`);
      }
    });
  });

  it("alice and bob find each other on the LAN and open a direct path", async () => {
    await waitFor(
      async () => {
        const [atAlice, atBob] = await Promise.all([direct(a, alice), direct(b, bob)]);
        return (
          atAlice.peers.some((p) => p.handle === "bob" && p.via === "lan") &&
          atBob.peers.some((p) => p.handle === "alice")
        );
      },
      { timeoutMs: 60_000, message: "a direct path between alice and bob", ...DAEMON_POLL },
    );
  });

  it("a message goes direct and to the server", async () => {
    const before = (await direct(b, bob)).counts.received;
    const sent = await send(a, alice, "hello over the LAN");
    expect(sent.status, sent.body).toBe(201);
    await waitFor(async () => (await messages(b, bob)).some((m) => m.text === "hello over the LAN"), {
      message: "bob has alice's message",
      ...DAEMON_POLL,
    });
    await waitFor(async () => (await direct(b, bob)).counts.received > before, {
      message: "bob received it over the direct path",
      ...DAEMON_POLL,
    });
    // …and through the server: carol, off the LAN and without direct paths, receives it.
    await waitFor(
      async () => {
        const got = await runVollyIn(lab, c, [...as("carol"), "receive", "--timeout", "2"]);
        return jsonLines(got.stdout).some((m) => m.text === "hello over the LAN");
      },
      { timeoutMs: 60_000, message: "carol receives it from the server" },
    );
  });

  const OFFLINE = [
    ["alice", "offline 1 from alice"],
    ["bob", "offline 2 from bob"],
    ["alice", "offline 3 from alice"],
    ["bob", "offline 4 from bob"],
  ] as const;
  const OFFLINE_AFTER_RESTART = "offline 5 from alice, to the restarted bob";

  it("with the LAN's link to the server cut, alice and bob keep messaging directly", async () => {
    await lab.cut(r, lan);
    for (const [who, text] of OFFLINE) {
      const [host, daemon, other, otherDaemon] = who === "alice" ? [a, alice, b, bob] : [b, bob, a, alice];
      // The daemon answers once the server stored it: it cannot, so the answer is an error or none.
      void send(host, daemon, text).catch(() => undefined);
      await waitFor(async () => (await messages(other, otherDaemon)).some((m) => m.text === text), {
        timeoutMs: 60_000,
        message: `"${text}" reaching the other side directly`,
        ...DAEMON_POLL,
      });
    }
  });

  it("bob's daemon crashes and restarts while the server is out of reach: it starts anyway and the path opens again", async () => {
    // kill -9: what bob sent meanwhile is in his outbox on disk and reaches the server later
    await bob.kill9();
    bob = await startDaemonIn(lab, b, as("bob"), join(home, "bob"));
    await waitFor(
      async () => {
        const [atAlice, atBob] = await Promise.all([direct(a, alice), direct(b, bob)]);
        return atAlice.peers.some((p) => p.handle === "bob") && atBob.peers.some((p) => p.handle === "alice");
      },
      { timeoutMs: 60_000, message: "the direct path after bob's restart", ...DAEMON_POLL },
    );
    void send(a, alice, OFFLINE_AFTER_RESTART).catch(() => undefined);
    await waitFor(async () => (await messages(b, bob)).some((m) => m.text === OFFLINE_AFTER_RESTART), {
      timeoutMs: 60_000,
      message: "alice's message reaching the restarted bob directly",
      ...DAEMON_POLL,
    });
  });

  it("once the link is back, the server's log has each message once and carol gets them in order", async () => {
    await lab.restore(r, lan);
    const texts: string[] = [...OFFLINE.map(([, text]) => text), OFFLINE_AFTER_RESTART];
    const ids = new Map<string, string>();
    for (const m of [...(await messages(a, alice)), ...(await messages(b, bob))]) {
      if (m.text && texts.includes(m.text)) ids.set(m.text, m.id);
    }
    expect(ids.size).toBe(texts.length);
    const seen: Array<Record<string, unknown>> = [];
    await waitFor(
      async () => {
        const got = await runVollyIn(lab, c, [...as("carol"), "receive", "--timeout", "2"]);
        seen.push(...jsonLines(got.stdout));
        return texts.every((t) => seen.some((m) => m.text === t));
      },
      { timeoutMs: 90_000, message: "carol receives every message sent while the server was away" },
    );
    for (const sender of ["alice", "bob"]) {
      const mine: string[] = OFFLINE.filter(([who]) => who === sender).map(([, text]) => text);
      if (sender === "alice") mine.push(OFFLINE_AFTER_RESTART);
      const order = seen.filter((m) => mine.includes(String(m.text))).map((m) => m.text);
      expect(order, `${sender}'s messages at carol`).toEqual(mine);
    }
    const db = new Database(join(serverData, "volly.db"), { readonly: true, fileMustExist: true });
    try {
      for (const [text, id] of ids) {
        const row = db.prepare("SELECT COUNT(*) AS n FROM group_log WHERE message_id = ?").get(id) as {
          n: number;
        };
        expect(row.n, `log entries of "${text}"`).toBe(1);
      }
    } finally {
      db.close();
    }
  });

  it("nothing in the server's data or output holds an SDP or a LAN address", async () => {
    const files = ["volly.db", "volly.db-wal", "volly.db-shm"]
      .map((f) => join(serverData, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString("latin1"));
    for (const text of [...files, server.output()]) {
      expect(text).not.toMatch(/10\.77\.1\.\d/);
      expect(text).not.toMatch(/a=fingerprint|a=ice-ufrag|a=candidate|webrtc-datachannel/);
    }
  });
});
