import { createHmac } from "node:crypto";
import type { VollyClient } from "@volly/client";
import { restApi } from "@volly/client/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";
import { type Coturn, coturnAvailable, runUclient, startCoturn } from "./helpers/coturn.js";
import { newClient } from "./helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

/** The TURN REST API credential for `username` (draft-uberti-behave-turn-rest-00 §2.2), computed here independently. */
function credentialFor(secret: string, username: string): string {
  return createHmac("sha1", secret).update(username).digest("base64");
}

describe.runIf(coturnAvailable())(
  "TURN credentials from GET /v1/calls/ice-servers against a real coturn",
  () => {
    let coturn: Coturn;
    let server: ServerProcess;
    let bare: ServerProcess;
    let alice: VollyClient;
    const home = tempDir();

    beforeAll(async () => {
      coturn = await startCoturn();
      const turnUrls = [
        `stun:127.0.0.1:${coturn.port}`,
        `turn:127.0.0.1:${coturn.port}?transport=udp`,
        `turn:127.0.0.1:${coturn.port}?transport=tcp`,
      ];
      [server, bare] = await Promise.all([
        startServerProcess(undefined, 0, {
          VOLLY_TURN_URLS: turnUrls.join(","),
          VOLLY_TURN_SECRET: coturn.secret,
          VOLLY_TURN_TTL_SECONDS: "600",
        }),
        startServerProcess(),
      ]);
      alice = await newClient(home, server.url, "alice");
    }, 60_000);

    afterAll(async () => {
      await alice?.close();
      await Promise.all([server?.stop(), bare?.stop(), coturn?.stop()]);
    });

    it("mints a credential coturn accepts: two clients allocate relays and exchange data through them", async () => {
      const before = Math.floor(Date.now() / 1000);
      const servers = await alice.calls.iceServers();
      expect(servers).toEqual([
        { urls: [`stun:127.0.0.1:${coturn.port}`] },
        {
          urls: [
            `turn:127.0.0.1:${coturn.port}?transport=udp`,
            `turn:127.0.0.1:${coturn.port}?transport=tcp`,
          ],
          username: expect.stringMatching(new RegExp(`^\\d+:${alice.profile.accountId}$`)),
          credential: expect.any(String),
        },
      ]);
      const turn = servers[1] as { username: string; credential: string };
      const expiry = Number(turn.username.split(":")[0]);
      expect(expiry).toBeGreaterThanOrEqual(before + 600);
      expect(expiry).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 600);
      expect(turn.credential).toBe(credentialFor(coturn.secret, turn.username));

      const result = await runUclient(coturn.port, turn.username, turn.credential);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/tot_recv_msgs=[1-9]/);
    }, 60_000);

    it("coturn refuses a wrong credential, an expired one and one made with another secret", async () => {
      const id = alice.profile.accountId;
      const future = `${Math.floor(Date.now() / 1000) + 600}:${id}`;
      const past = `${Math.floor(Date.now() / 1000) - 5}:${id}`;
      const attempts = await Promise.all([
        runUclient(coturn.port, future, credentialFor(coturn.secret, `${future}x`)),
        runUclient(coturn.port, past, credentialFor(coturn.secret, past)),
        runUclient(coturn.port, future, credentialFor(`${coturn.secret}-other`, future)),
      ]);
      for (const attempt of attempts) {
        expect(attempt.signal, attempt.output).toBeNull();
        expect(attempt.code, attempt.output).not.toBe(0);
        expect(attempt.output).toContain("Cannot complete Allocation");
      }
    }, 60_000);

    it("needs a session; a server without TURN configured answers no servers", async () => {
      const anonymous = await fetch(`${server.url}/v1/calls/ice-servers`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ code: "VOLLY_E_NOT_AUTHENTICATED" });

      const bob = await newClient(home, bare.url, "bob");
      try {
        expect(await restApi(bob).call("getIceServers")).toEqual({ iceServers: [], ttlSeconds: 0 });
      } finally {
        await bob.close();
      }
    }, 60_000);

    it("the server's log never carries the TURN secret or a minted credential", async () => {
      const servers = await restApi(alice).call("getIceServers");
      const credential = servers.iceServers[1]?.credential ?? "";
      expect(credential).not.toBe("");
      expect(server.output()).not.toContain(coturn.secret);
      expect(server.output()).not.toContain(credential);
    });
  },
);
