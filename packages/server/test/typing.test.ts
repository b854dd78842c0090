import { GatewayOp, newId } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import { snapshotDatabase } from "./helpers/db-snapshot.js";
import type { Frame, GatewayClient } from "./helpers/gateway-client.js";
import { dispatched, expectStillServing, useLiveServer } from "./helpers/live-server.js";

describe("typing over the gateway (op 14 TYPING, dispatch TYPING_START)", () => {
  const s = useLiveServer();

  const typing = (client: GatewayClient, groupId: string) =>
    client.send({ op: GatewayOp.TYPING, d: { groupId } });
  const nextError = async (client: GatewayClient) =>
    ((await client.next((x: Frame) => x.op === GatewayOp.ERROR)).d as { code: string }).code;

  it("relays TYPING to the live sessions of the group's other member devices only, and stores nothing", async () => {
    const alice = await s.register();
    const alicePhone = await s.addDevice(alice);
    const bob = await s.register();
    const carol = await s.register();
    const groupId = await s.createGroup(alice, [bob, alicePhone]);
    await s.createGroup(alice, [carol]); // carol shares another group with alice, not this one
    const { client: aliceClient } = await s.synced(alice);
    const { client: aliceOther } = await s.synced(alice); // a second session of the same device
    const { client: bobClient } = await s.synced(bob);
    const { client: phoneClient } = await s.synced(alicePhone);
    const { client: carolClient } = await s.synced(carol);
    const before = snapshotDatabase(s.f.file);

    const sentAt = Date.now();
    typing(aliceClient, groupId);
    const event = await bobClient.nextDispatch("TYPING_START");
    expect(event.d).toEqual({
      groupId,
      accountId: alice.accountId,
      handle: alice.handle,
      deviceId: alice.deviceId,
      at: expect.any(Number),
    });
    expect(Math.abs((event.d as { at: number }).at - sentAt)).toBeLessThan(5_000);
    // Another device of the same account gets it too (the client filters its own account).
    expect((await phoneClient.nextDispatch("TYPING_START")).d).toEqual(event.d);
    await sleep(100);
    expect(dispatched(aliceClient, "TYPING_START")).toEqual([]);
    expect(dispatched(aliceOther, "TYPING_START")).toEqual([]); // the sender's own device
    expect(dispatched(carolClient, "TYPING_START")).toEqual([]);
    expect(snapshotDatabase(s.f.file)).toEqual(before);
  });

  it("answers TYPING in a group the device is not in with ERROR VOLLY_E_NOT_GROUP_MEMBER and stays open", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const mallory = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const { client: bobClient } = await s.synced(bob);
    const { client: malloryClient } = await s.synced(mallory);

    typing(malloryClient, groupId);
    expect(await nextError(malloryClient)).toBe("VOLLY_E_NOT_GROUP_MEMBER");
    typing(malloryClient, newId());
    expect(await nextError(malloryClient)).toBe("VOLLY_E_UNKNOWN_GROUP");
    await expectStillServing(malloryClient);
    await sleep(100);
    expect(dispatched(bobClient, "TYPING_START")).toEqual([]);
  });

  it("drops a flood of 100 TYPING frames down to at most one per group per second", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const other = await s.createGroup(alice, [bob]);
    const { client: aliceClient } = await s.synced(alice);
    const { client: bobClient } = await s.synced(bob);

    for (let i = 0; i < 100; i++) typing(aliceClient, groupId);
    typing(aliceClient, other); // another group has its own allowance
    await bobClient.next((x) => x.t === "TYPING_START" && (x.d as { groupId: string }).groupId === other);
    await sleep(300);
    const relayed = dispatched(bobClient, "TYPING_START").filter(
      (x) => (x.d as { groupId: string }).groupId === groupId,
    );
    expect(relayed.length).toBeGreaterThanOrEqual(1);
    expect(relayed.length).toBeLessThanOrEqual(2);
    await expectStillServing(aliceClient);

    await sleep(1_000);
    typing(aliceClient, groupId); // a new second: relayed again
    await bobClient.next(
      (x) =>
        x.t === "TYPING_START" &&
        (x.d as { groupId: string }).groupId === groupId &&
        !relayed.includes(x) &&
        x.s! > relayed.at(-1)!.s!,
    );
  });

  it("stops relaying a device's typing once it left the group", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const groupId = await s.createGroup(alice, [bob]);
    const { client: aliceClient } = await s.synced(alice);
    const { client: bobClient } = await s.synced(bob);
    expect((await s.leave(bob, groupId)).statusCode).toBe(200);
    await aliceClient.nextDispatch("GROUP_MESSAGE"); // the departure
    typing(bobClient, groupId);
    expect(await nextError(bobClient)).toBe("VOLLY_E_NOT_GROUP_MEMBER");
  });

  it("rejects TYPING before IDENTIFY with VOLLY_E_NOT_AUTHENTICATED", async () => {
    const client = await s.connect();
    typing(client, newId());
    expect(await nextError(client)).toBe("VOLLY_E_NOT_AUTHENTICATED");
    await expectStillServing(client);
  });
});
