import { GatewayOp } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import type { HttpDevice } from "./helpers/app.js";
import type { Frame, GatewayClient } from "./helpers/gateway-client.js";
import { dispatched, useLiveServer } from "./helpers/live-server.js";

describe("presence over the gateway (op 3 PRESENCE_UPDATE, dispatch PRESENCE_UPDATE)", () => {
  const s = useLiveServer();

  const presenceOf = (device: HttpDevice) => (f: Frame) =>
    f.t === "PRESENCE_UPDATE" && (f.d as { accountId: string }).accountId === device.accountId;
  const nextPresence = async (client: GatewayClient, device: HttpDevice) =>
    (await client.next(presenceOf(device))).d;
  const setStatus = (client: GatewayClient, status: "online" | "away") =>
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
});
