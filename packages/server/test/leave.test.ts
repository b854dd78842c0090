import { GatewayOp, newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sleep } from "../../../test/helpers/wait-for.js";
import { expectCode } from "./helpers/expect-code.js";
import { dispatched, expectStillServing, useLiveServer } from "./helpers/live-server.js";
import { commitBody } from "./helpers/mls-groups.js";
import {
  fakeCiphertext,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe("delivery service: leaving and ending memberships at a seq", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    let carol: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
      carol = await registerDevice(f.services, "carol");
    });
    afterEach(() => f.close());

    const send = (d: TestDevice, groupId: string, epoch = 1) =>
      f.services.delivery.sendMessage(d.deviceId, groupId, {
        messageId: newId(),
        epoch,
        ciphertext: fakeCiphertext(),
      });
    const backlogSeqs = async (d: TestDevice) =>
      (await f.services.delivery.backlog(d.deviceId)).messages.map((m) => [m.seq, m.kind]);

    it("appends a departure entry (empty payload, current epoch) sent by the leaver and ends its membership", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      expect(await f.services.delivery.leave(carol.deviceId, groupId)).toEqual({ seq: 2 });
      const [departure] = (await f.services.delivery.backlog(bob.deviceId)).messages;
      expect(departure).toMatchObject({
        groupId,
        seq: 2,
        kind: "departure",
        epoch: 1,
        payload: "",
        senderDeviceId: carol.deviceId,
        senderAccountId: carol.accountId,
        senderHandle: "carol",
      });
      expect(f.published.at(-1)).toEqual({
        channel: `group:${groupId}`,
        message: { type: "group-appended", groupId, seq: 2, kind: "departure" },
      });
      expect((await f.services.groups.getGroup(alice.deviceId, groupId)).memberDeviceIds).toEqual([
        alice.deviceId,
        bob.deviceId,
      ]);
      await expectCode(send(carol, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
      await expectCode(f.services.groups.getGroup(carol.deviceId, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
      await expectCode(
        f.services.delivery.commit(carol.deviceId, groupId, await commitBody(f.store, groupId, carol)),
        "VOLLY_E_NOT_GROUP_MEMBER",
      );
      await expectCode(f.services.delivery.leave(carol.deviceId, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
      await expectCode(f.services.delivery.leave(carol.deviceId, newId()), "VOLLY_E_UNKNOWN_GROUP");
      await expectCode(f.services.typing.start(carol, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
    });

    it("still delivers to the leaver what came before its departure, and nothing after", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      const before = await send(alice, groupId);
      await f.services.delivery.leave(carol.deviceId, groupId);
      await send(alice, groupId);
      expect(await backlogSeqs(carol)).toEqual([[before.seq, "application"]]);
      await f.services.delivery.ack(carol.deviceId, [{ groupId, seq: 1_000 }], []);
      expect(await f.store.cursors.find(carol.deviceId, groupId)).toBe(3); // capped at its departure
      expect(await f.services.delivery.syncPoints(carol.deviceId)).toEqual([]);
    });

    it("accepts the Remove of a departed device, keeps it from receiving that commit, and re-adds it later", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      const first = await f.services.delivery.pendingWelcomes(carol.deviceId);
      await f.services.delivery.ack(carol.deviceId, [], [first[0]!.welcomeId]); // carol joined
      const { seq: departed } = await f.services.delivery.leave(carol.deviceId, groupId);
      const removal = await f.services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [], [carol]),
      );
      expect(removal).toEqual({ seq: departed + 1, epoch: 2 });
      expect(await backlogSeqs(carol)).toEqual([]);
      expect(await backlogSeqs(bob)).toEqual([
        [departed, "departure"],
        [removal.seq, "commit"],
      ]);

      await send(bob, groupId, 2);
      const readd = await f.services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [carol]),
      );
      const after = await send(alice, groupId, 3);
      expect((await f.services.groups.getGroup(carol.deviceId, groupId)).memberDeviceIds).toContain(
        carol.deviceId,
      );
      const { welcomes, messages } = await f.services.delivery.backlog(carol.deviceId);
      expect(welcomes.map((w) => [w.groupId, w.seq])).toEqual([[groupId, readd.seq]]);
      expect(messages.map((m) => m.seq)).toEqual([after.seq]);
      expect((await send(carol, groupId, 3)).duplicate).toBe(false);
    });

    it("lets a device removed by a commit read up to that commit, ack it, and then drop the group", async () => {
      const groupId = await groupWith(f, alice, [bob, carol]);
      const removal = await f.services.delivery.commit(
        alice.deviceId,
        groupId,
        await commitBody(f.store, groupId, alice, [], [carol]),
      );
      await send(alice, groupId, 2);
      expect(await f.services.delivery.syncPoints(carol.deviceId)).toEqual([{ groupId, afterSeq: 1 }]);
      const page = await f.services.delivery.readGroup(carol.deviceId, groupId, 0, 10);
      expect(page).toMatchObject({ readable: true, leftSeq: removal.seq });
      expect(page.entries.map((e) => e.seq)).toEqual([removal.seq]);
      await f.services.delivery.ack(carol.deviceId, [{ groupId, seq: removal.seq }], []);
      expect(await f.services.delivery.syncPoints(carol.deviceId)).toEqual([]);
      expect(await backlogSeqs(carol)).toEqual([]);
    });

    it("still rejects declaring the removal of a device that never was a member", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const removeBob = await commitBody(f.store, groupId, alice, [], [bob]);
      const error = await expectCode(
        f.services.delivery.commit(alice.deviceId, groupId, {
          ...removeBob,
          removeDeviceIds: [carol.deviceId],
        }),
        "VOLLY_E_COMMIT_INVALID",
      );
      expect(error.details).toEqual({ cause: "removes-mismatch", deviceId: bob.deviceId });
    });
  });
});

describe("leaving over REST and the gateway (POST /v1/groups/:groupId/leave)", () => {
  const s = useLiveServer();

  it("dispatches the departure to the remaining members; the leaver receives nothing after and cannot send", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const carol = await s.register();
    const groupId = await s.createGroup(alice, [bob, carol]);
    const { client: aliceClient } = await s.synced(alice);
    const { client: bobClient } = await s.synced(bob);
    const { client: carolClient } = await s.synced(carol);

    const left = await s.leave(carol, groupId);
    expect(left.statusCode).toBe(200);
    const { seq } = left.json() as { seq: number };
    for (const client of [aliceClient, bobClient]) {
      expect((await client.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({
        groupId,
        seq,
        kind: "departure",
        payload: "",
        senderDeviceId: carol.deviceId,
      });
    }

    const after = await s.send(alice, groupId);
    expect((await bobClient.nextDispatch("GROUP_MESSAGE")).d).toMatchObject({ seq: after.seq });
    const refused = await s.f.app.inject({
      method: "POST",
      url: `/v1/groups/${groupId}/messages`,
      headers: carol.auth,
      payload: { messageId: newId(), epoch: 1, ciphertext: fakeCiphertext() },
    });
    expect(refused.statusCode).toBe(403);
    expect((refused.json() as { code: string }).code).toBe("VOLLY_E_NOT_GROUP_MEMBER");
    expect((await s.leave(carol, groupId)).statusCode).toBe(403);
    await expectStillServing(carolClient);
    await sleep(100);
    expect(dispatched(carolClient, "GROUP_MESSAGE")).toEqual([]);

    // Reconnecting does not bring anything back either.
    await carolClient.close();
    const { events } = await s.synced(carol);
    expect(events.filter((e) => e.t === "GROUP_MESSAGE")).toEqual([]);
  });

  it("delivers to a device removed by a commit that commit, then nothing; acked, it is not redelivered", async () => {
    const alice = await s.register();
    const bob = await s.register();
    const carol = await s.register();
    const groupId = await s.createGroup(alice, [bob, carol]);
    const { client: carolClient } = await s.synced(carol);
    const removal = await s.commit(alice, groupId, [], [carol]);
    expect(removal.statusCode).toBe(200);
    const removalSeq = (removal.json() as { seq: number }).seq;
    const got = await carolClient.nextDispatch("GROUP_MESSAGE");
    expect(got.d).toMatchObject({ groupId, seq: removalSeq, kind: "commit", senderDeviceId: alice.deviceId });
    await s.send(bob, groupId, 2);
    await sleep(150);
    expect(dispatched(carolClient, "GROUP_MESSAGE")).toHaveLength(1);

    carolClient.send({ op: GatewayOp.ACK, d: { cursors: [{ groupId, seq: removalSeq }], welcomeIds: [] } });
    await sleep(100);
    await carolClient.close();
    const { events } = await s.synced(carol);
    expect(events.filter((e) => e.t === "GROUP_MESSAGE")).toEqual([]);
  });

  it("answers leaving an unknown group with 404 VOLLY_E_UNKNOWN_GROUP", async () => {
    const alice = await s.register();
    const res = await s.leave(alice, newId());
    expect(res.statusCode).toBe(404);
    expect((res.json() as { code: string }).code).toBe("VOLLY_E_UNKNOWN_GROUP");
  });
});
