import { GatewayOp } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { sleep, waitFor } from "../../../test/helpers/wait-for.js";
import type { HttpDevice } from "./helpers/app.js";
import type { Frame, GatewayClient } from "./helpers/gateway-client.js";
import { dispatched, useLiveServer } from "./helpers/live-server.js";

describe("presence over the gateway (op 3 PRESENCE_UPDATE, dispatch PRESENCE_UPDATE)", () => {
  const s = useLiveServer();

  const presenceOf = (device: HttpDevice) => (f: Frame) =>
    f.t === "PRESENCE_UPDATE" && (f.d as { accountId: string }).accountId === device.accountId;
  const nextPresence = async (client: GatewayClient, device: HttpDevice) =>
    (await client.next(presenceOf(device))).d;
  const setStatus = (client: GatewayClient, status: "online" | "idle" | "away") =>
    client.send({ op: GatewayOp.PRESENCE_UPDATE, d: { status } });

  it("shows a member of a shared group going online, away and offline", async () => {
    const alice = await s.register();
    const bob = await s.register();
    await s.createGroup(alice, [bob]);
    const { client: aliceClient } = await s.synced(alice);

    const bobClient = await s.identified(bob);
    expect(await nextPresence(aliceClient, bob)).toEqual({
      accountId: bob.accountId,
      handle: bob.handle,
      status: "online",
    });
    setStatus(bobClient, "away");
    expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "idle" });
    await bobClient.close();
    expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "offline" });
  });

  it("shows nothing to an account that shares no group", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const stranger = await s.register();
    await s.createGroup(alice, [bob]);
    const { client: watcher } = await s.synced(alice);
    const { client: strangerClient } = await s.synced(stranger);

    const bobClient = await s.identified(bob);
    await nextPresence(watcher, bob);
    setStatus(bobClient, "away");
    await nextPresence(watcher, bob);
    await bobClient.close();
    await nextPresence(watcher, bob);
    await sleep(100);
    expect(dispatched(strangerClient, "PRESENCE_UPDATE")).toEqual([]);
    // …and the members of the group never see the stranger either.
    expect(watcher.received.some(presenceOf(stranger))).toBe(false);
  });

  it("dispatches the current presence of every account sharing a group right after READY, before SYNCED", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const carol = await s.register();
    const offline = await s.register();
    const groupId = await s.createGroup(alice, [bob, carol, offline]);
    await s.send(bob, groupId); // a backlog for alice
    const { client: bobClient } = await s.synced(bob);
    const { client: carolClient } = await s.synced(carol);
    setStatus(carolClient, "away");
    await nextPresence(bobClient, carol); // carol's away is known to the server

    const aliceClient = await s.identified(alice);
    const { events } = await aliceClient.untilSynced();
    const presences = events.filter((e) => e.t === "PRESENCE_UPDATE").map((e) => e.d);
    expect(presences).toEqual(
      expect.arrayContaining([
        { accountId: bob.accountId, handle: bob.handle, status: "online" },
        { accountId: carol.accountId, handle: carol.handle, status: "idle" },
      ]),
    );
    // Not the offline member, not alice herself; presence first, then the backlog.
    expect(events.map((e) => e.t)).toEqual(["PRESENCE_UPDATE", "PRESENCE_UPDATE", "GROUP_MESSAGE"]);
  });

  it("keeps an account online while any of its devices is online, away when all are away", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const bobPhone = await s.addDevice(bob);
    await s.createGroup(alice, [bob]); // only bob's first device is in the group: presence is per account
    const { client: aliceClient } = await s.synced(alice);
    const first = await s.identified(bob);
    expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "online" });
    const second = await s.identified(bobPhone);
    setStatus(first, "away");
    await sleep(150);
    expect(aliceClient.received.filter(presenceOf(bob))).toHaveLength(1); // still online: no change
    setStatus(second, "away");
    expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "idle" });
    await second.close();
    await sleep(100);
    expect(aliceClient.received.filter(presenceOf(bob))).toHaveLength(2); // still away
    await first.close();
    expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "offline" });
  });

  it("starts showing presence both ways when a device joins a group", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const { client: aliceClient } = await s.synced(alice);
    const { client: bobClient } = await s.synced(bob);
    await sleep(50);
    expect(aliceClient.received.some(presenceOf(bob))).toBe(false);

    await s.createGroup(alice, [bob]);
    await bobClient.nextDispatch("WELCOME");
    expect(await nextPresence(bobClient, alice)).toMatchObject({ status: "online" });
    expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "online" });
  });

  it("rejects PRESENCE_UPDATE before IDENTIFY with VOLLY_E_NOT_AUTHENTICATED and stays open", async () => {
    const client = await s.connect();
    setStatus(client, "away");
    const error = await client.next((x) => x.op === GatewayOp.ERROR);
    expect((error.d as { code: string }).code).toBe("VOLLY_E_NOT_AUTHENTICATED");
    const bad = { op: GatewayOp.PRESENCE_UPDATE, d: { status: "offline" } };
    client.send(bad);
    const invalid = await client.next((x) => x.op === GatewayOp.ERROR);
    expect((invalid.d as { code: string }).code).toBe("VOLLY_E_BAD_REQUEST");
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  describe("account status (PUT /v1/presence/status)", () => {
    const putStatus = (device: HttpDevice, body: unknown) =>
      s.f.app.inject({
        method: "PUT",
        url: "/v1/presence/status",
        headers: device.auth,
        payload: body as object,
      });
    const getStatus = async (device: HttpDevice) =>
      (await s.f.app.inject({ method: "GET", url: "/v1/presence/status", headers: device.auth })).json();

    it("shows dnd with its custom text to peers and to the account's other devices", async () => {
      const alice = await s.register();
      const bob = await s.register();
      const bobPhone = await s.addDevice(bob);
      await s.createGroup(alice, [bob]);
      const { client: aliceClient } = await s.synced(alice);
      const bobDesk = await s.identified(bob);
      const phone = await s.identified(bobPhone);
      expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "online" });

      // Both devices idle ("away" is the older name): the account shows idle.
      setStatus(phone, "idle");
      setStatus(bobDesk, "away");
      expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "idle" });

      const until = Date.now() + 3_600_000;
      const res = await putStatus(bob, { status: "dnd", text: "in a meeting", until });
      expect(res.statusCode).toBe(200);
      const shown = {
        accountId: bob.accountId,
        handle: bob.handle,
        status: "dnd",
        text: "in a meeting",
        until,
      };
      expect(await nextPresence(aliceClient, bob)).toEqual(shown);
      expect(await nextPresence(phone, bob)).toEqual(shown);
      expect(await nextPresence(bobDesk, bob)).toEqual(shown);
      // Back to "online" with every device idle shows idle again.
      expect((await putStatus(bob, { status: "online" })).statusCode).toBe(200);
      expect(await nextPresence(aliceClient, bob)).toEqual({
        accountId: bob.accountId,
        handle: bob.handle,
        status: "idle",
      });
      expect(
        aliceClient.received.filter(presenceOf(bob)).map((f) => (f.d as { status: string }).status),
      ).toEqual(["online", "idle", "dnd", "idle"]);
    });

    it("shows an invisible account offline to peers, and invisible to its own devices, also after a reconnect", async () => {
      const alice = await s.register();
      const bob = await s.register();
      await s.createGroup(alice, [bob]);
      const { client: aliceClient } = await s.synced(alice);
      const bobClient = await s.identified(bob);
      expect(await nextPresence(aliceClient, bob)).toMatchObject({ status: "online" });

      expect((await putStatus(bob, { status: "invisible", text: "hidden" })).statusCode).toBe(200);
      expect(await nextPresence(aliceClient, bob)).toEqual({
        accountId: bob.accountId,
        handle: bob.handle,
        status: "offline",
      });
      expect(await nextPresence(bobClient, bob)).toMatchObject({ status: "invisible", text: "hidden" });
      await bobClient.close();

      // A new connection of bob: told its own status right after READY; alice still sees nothing.
      const { client: again, events } = await s.synced(bob);
      expect(events.filter(presenceOf(bob)).map((e) => e.d)).toEqual([
        { accountId: bob.accountId, handle: bob.handle, status: "invisible", text: "hidden" },
      ]);
      const { events: aliceEvents } = await s.synced(alice);
      expect(aliceEvents.some(presenceOf(bob))).toBe(false);
      await again.close();
    });

    it("rejects an invalid status, text or expiry with 400 and changes nothing", async () => {
      const bob = await s.register();
      expect((await putStatus(bob, { status: "dnd", text: "ok" })).statusCode).toBe(200);
      const bad = [
        { status: "busy" },
        { status: "away" },
        { status: "online", text: "x".repeat(129) },
        { status: "online", text: "line\nbreak" },
        { status: "online", text: "\u001b[31mred" },
        { status: "online", text: "" },
        { status: "online", until: Date.now() + 1000 },
        { status: "online", text: "late", until: Date.now() - 1 },
        { status: "online", text: "t", until: "tomorrow" },
        { status: "online", extra: true },
      ];
      for (const body of bad) {
        const res = await putStatus(bob, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json().code).toBe("VOLLY_E_BAD_REQUEST");
      }
      expect(await getStatus(bob)).toMatchObject({ status: "dnd", text: "ok" });
      expect((await putStatus(bob, { status: "online", text: "x".repeat(128) })).statusCode).toBe(200);
      const unauthenticated = await s.f.app.inject({ method: "GET", url: "/v1/presence/status" });
      expect(unauthenticated.statusCode).toBe(401);
    });

    it("stops serving a custom text once it expires: REST and a new connection leave it out", async () => {
      const alice = await s.register();
      const bob = await s.register();
      await s.createGroup(alice, [bob]);
      const until = Date.now() + 300;
      expect((await putStatus(bob, { status: "idle", text: "brb", until })).statusCode).toBe(200);
      expect(await getStatus(bob)).toMatchObject({ text: "brb", until });
      await waitFor(() => Date.now() > until, { message: "the custom text to expire" });
      expect(await getStatus(bob)).toEqual({ status: "idle", setAt: expect.any(Number) });
      await s.identified(bob);
      const { events } = await s.synced(alice);
      expect(events.filter(presenceOf(bob)).map((e) => e.d)).toEqual([
        { accountId: bob.accountId, handle: bob.handle, status: "idle" },
      ]);
    });

    it("accepts the alias 'away' for an idle device and rejects an account status over op 3", async () => {
      const bob = await s.register();
      const client = await s.identified(bob);
      client.send({ op: GatewayOp.PRESENCE_UPDATE, d: { status: "dnd" } });
      const error = await client.next((x) => x.op === GatewayOp.ERROR);
      expect((error.d as { code: string }).code).toBe("VOLLY_E_BAD_REQUEST");
      expect(client.ws.readyState).toBe(client.ws.OPEN);
    });
  });
});
