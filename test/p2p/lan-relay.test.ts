import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { type Host, type Lan, NetLab, netnsUnavailable } from "./helpers/netns.js";
import {
  DAEMON_POLL,
  daemonApi,
  type NsDaemon,
  type NsProcess,
  routeThrough,
  setUpGroupIn,
  startDaemonIn,
  startServerIn,
} from "./helpers/ns-volly.js";

const unavailable = await netnsUnavailable();
const CI = process.env.CI === "true";
if (unavailable && !CI) console.warn(`lan-relay.test.ts skipped: ${unavailable}`);

/**
 * Relay through a member (issue 17), on network namespaces: alice (host a) is on LAN 1, carol (host
 * c) on LAN 2, bob (host b) on both; a router (host r) joins both LANs to the server's network. With
 * the router's links cut, alice and carol can reach neither each other nor the server, yet alice's
 * message reaches carol through bob's device, which relays the MLS ciphertext it cannot forge.
 */
describe.skipIf(unavailable !== undefined && !CI)(
  "relay through a member device (network namespaces)",
  () => {
    const home = tempDir("volly-lan-relay-");
    let lab: NetLab;
    let lan1: Lan;
    let lan2: Lan;
    let r: Host;
    let a: Host;
    let b: Host;
    let c: Host;
    let server: NsProcess & { url: string };
    let alice: NsDaemon;
    let bob: NsDaemon;
    let carol: NsDaemon;
    let groupId = "";
    const as = (handle: string) => ["--profile", join(home, handle), "--pin", "123456", "--json"];

    beforeAll(async () => {
      if (unavailable) throw new Error(`CI=true but network namespaces are unavailable: ${unavailable}`);
      lab = await NetLab.create();
      lan1 = await lab.lan("lan1");
      lan2 = await lab.lan("lan2");
      const wan = await lab.lan("wan");
      r = await lab.host("r", [
        [lan1, "10.78.1.254"],
        [lan2, "10.78.3.254"],
        [wan, "10.78.2.254"],
      ]);
      a = await lab.host("a", [[lan1, "10.78.1.1"]]);
      b = await lab.host("b", [
        [lan1, "10.78.1.2"],
        [lan2, "10.78.3.2"],
      ]);
      c = await lab.host("c", [[lan2, "10.78.3.3"]]);
      const s = await lab.host("s", [[wan, "10.78.2.10"]]);
      await routeThrough(r, [a, b, c, s]);
      server = await startServerIn(lab, s, "10.78.2.10", 7777, join(home, "server"));
      groupId = await setUpGroupIn(
        lab,
        [
          ["alice", a],
          ["bob", b],
          ["carol", c],
        ],
        as,
        server.url,
        "Relay",
      );
      [alice, bob, carol] = await Promise.all([
        startDaemonIn(lab, a, as("alice"), join(home, "alice")),
        startDaemonIn(lab, b, as("bob"), join(home, "bob")),
        startDaemonIn(lab, c, as("carol"), join(home, "carol")),
      ]);
    });

    afterAll(async () => {
      // with the server reachable again the members stop at once (their last flush gets through)
      if (lab && r && lan1 && lan2) {
        await Promise.all([lab.restore(r, lan1), lab.restore(r, lan2)]).catch(() => undefined);
      }
      await Promise.all([alice?.stop(), bob?.stop(), carol?.stop()].map((p) => p?.catch(() => undefined)));
      await server?.stop().catch(() => undefined);
      await lab?.cleanup();
    });

    it("bob has a direct path to alice (LAN 1) and to carol (LAN 2); alice and carol have none to each other", async () => {
      await waitFor(
        async () => {
          const peers = (await daemonApi(lab, b, bob).direct()).peers.map((p) => p.handle).sort();
          return peers.join(",") === "alice,carol";
        },
        { timeoutMs: 60_000, message: "bob's direct paths to alice and carol", ...DAEMON_POLL },
      );
      expect((await daemonApi(lab, a, alice).direct()).peers.map((p) => p.handle)).toEqual(["bob"]);
      expect((await daemonApi(lab, c, carol).direct()).peers.map((p) => p.handle)).toEqual(["bob"]);
    });

    it("with the server out of reach, alice's message reaches carol through bob", async () => {
      await lab.cut(r, lan1);
      await lab.cut(r, lan2);
      const text = "carried by bob";
      void daemonApi(lab, a, alice)
        .send(groupId, text)
        .catch(() => undefined);
      await waitFor(
        async () => (await daemonApi(lab, c, carol).messages(groupId)).some((m) => m.text === text),
        {
          timeoutMs: 60_000,
          message: "carol has alice's message",
          ...DAEMON_POLL,
        },
      );
      const got = (await daemonApi(lab, c, carol).messages(groupId)).find((m) => m.text === text);
      expect(got?.from).toMatchObject({ handle: "alice" });
      expect((await daemonApi(lab, b, bob).direct()).counts.relayed).toBeGreaterThan(0);
      expect((await daemonApi(lab, c, carol).direct()).peers.map((p) => p.handle)).toEqual(["bob"]);
    });
  },
);
