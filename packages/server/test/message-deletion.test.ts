import { newId, permissionsOf, serializePermissions } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectCode } from "./helpers/expect-code.js";
import { createGroupBody, externalJoinBody } from "./helpers/mls-groups.js";
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
  describe("delivery service: deleting a message for everyone removes its ciphertext", () => {
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

    const send = async (d: TestDevice, groupId: string, epoch = 1) => {
      const messageId = newId();
      const { seq } = await f.services.delivery.sendMessage(d.deviceId, groupId, {
        messageId,
        epoch,
        ciphertext: fakeCiphertext(),
      });
      return { messageId, seq };
    };
    const logIds = async (d: TestDevice) =>
      (await f.services.delivery.backlog(d.deviceId)).messages.flatMap((m) =>
        m.kind === "application" ? [m.messageId] : [],
      );
    const who = (d: TestDevice) => ({ accountId: d.accountId, deviceId: d.deviceId });

    it("the sender deletes its own message: gone from the log and from the quota; others' stay", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const mine = await send(alice, groupId);
      const theirs = await send(bob, groupId);
      const usage = async () => ({
        group: await f.store.storage.groupBytes(groupId),
        account: await f.store.storage.accountBytes(alice.accountId),
      });
      const before = await usage();
      expect(await f.services.delivery.deleteMessage(who(alice), groupId, mine.messageId)).toEqual(mine);
      expect(await logIds(bob)).not.toContain(mine.messageId);
      expect(await f.store.log.findByMessageId(groupId, mine.messageId)).toBeUndefined();
      // its bytes are credited back to the group's and the sender's quotas
      const size = fakeCiphertext().length;
      expect(await usage()).toEqual({ group: before.group - size, account: before.account - size });
      expect(await logIds(alice)).toEqual([theirs.messageId]);
      // gone: a second delete is a typed not-found
      await expectCode(
        f.services.delivery.deleteMessage(who(alice), groupId, mine.messageId),
        "VOLLY_E_UNKNOWN_MESSAGE",
      );
      // the log goes on after the gap
      const next = await send(bob, groupId);
      expect(next.seq).toBe(theirs.seq + 1);
    });

    it("outside community channels nobody deletes another account's message (VOLLY_E_FORBIDDEN); outsiders are not members", async () => {
      const groupId = await groupWith(f, alice, [bob]);
      const mine = await send(alice, groupId);
      const err = await expectCode(
        f.services.delivery.deleteMessage(who(bob), groupId, mine.messageId),
        "VOLLY_E_FORBIDDEN",
      );
      expect(err.details).toMatchObject({ permission: "MANAGE_MESSAGES", reason: "not-sender" });
      await expectCode(
        f.services.delivery.deleteMessage(who(carol), groupId, mine.messageId),
        "VOLLY_E_NOT_GROUP_MEMBER",
      );
      await expectCode(
        f.services.delivery.deleteMessage(who(alice), groupId, newId()),
        "VOLLY_E_UNKNOWN_MESSAGE",
      );
      await expectCode(
        f.services.delivery.deleteMessage(who(alice), newId(), newId()),
        "VOLLY_E_UNKNOWN_GROUP",
      );
      expect(await logIds(bob)).toEqual([mine.messageId]);
    });

    it("in a community channel a member with MANAGE_MESSAGES deletes anyone's message; one without is refused", async () => {
      const created = await f.services.communities.create(alice.accountId, { name: "Guild" });
      const invite = await f.services.communities.createInvite(alice.accountId, created.communityId, {});
      await f.services.communities.join(bob.accountId, invite.code);
      await f.services.communities.join(carol.accountId, invite.code);
      const general = created.channels[0]?.channelId as string;
      const groupId = newId();
      await f.services.groups.createGroup(alice.deviceId, {
        ...(await createGroupBody(groupId, alice)),
        channelId: general,
      });
      for (const d of [bob, carol]) {
        await f.services.delivery.commit(d.deviceId, groupId, await externalJoinBody(f.store, groupId, d));
      }
      const epoch = (await f.store.groups.find(groupId))?.epoch ?? 0;
      const byBob = await send(bob, groupId, epoch);
      const err = await expectCode(
        f.services.delivery.deleteMessage(who(carol), groupId, byBob.messageId),
        "VOLLY_E_FORBIDDEN",
      );
      expect(err.details).toMatchObject({ permission: "MANAGE_MESSAGES" });
      expect(await logIds(carol)).toContain(byBob.messageId);

      const mod = await f.services.roles.create(alice.accountId, created.communityId, {
        name: "mod",
        color: 0,
        permissions: serializePermissions(permissionsOf(["MANAGE_MESSAGES"])),
      });
      await f.services.roles.assign(alice.accountId, created.communityId, carol.accountId, mod.roleId);
      expect(await f.services.delivery.deleteMessage(who(carol), groupId, byBob.messageId)).toEqual(byBob);
      expect(await logIds(alice)).not.toContain(byBob.messageId);
    });
  });
});
