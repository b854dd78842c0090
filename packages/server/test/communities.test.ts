import { processMessage } from "@volly/crypto";
import { fromBase64Url, newId, permissionsOf, serializePermissions } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectCode } from "./helpers/expect-code.js";
import { testSuite } from "./helpers/keys-crypto.js";
import {
  commitBody,
  createGroupBody,
  decryptAs,
  encryptAs,
  externalJoinBody,
  memberState,
} from "./helpers/mls-groups.js";
import { registerDevice, type ServiceFixture, serviceFixture, type TestDevice } from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe(`communities (${backend.name})`, () => {
    let f: ServiceFixture;
    let owner: TestDevice;
    let bob: TestDevice;
    let carol: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      owner = await registerDevice(f.services, "owner");
      bob = await registerDevice(f.services, "bob");
      carol = await registerDevice(f.services, "carol");
    });
    afterEach(() => f.close());

    /** A community owned by `owner` that bob and carol joined by invite. */
    async function community() {
      const created = await f.services.communities.create(owner.accountId, { name: "Guild" });
      const invite = await f.services.communities.createInvite(owner.accountId, created.communityId, {});
      await f.services.communities.join(bob.accountId, invite.code);
      await f.services.communities.join(carol.accountId, invite.code);
      return created;
    }
    const visibleChannels = async (who: TestDevice, communityId: string) =>
      (await f.services.communities.get(who.accountId, communityId)).channels.map((c) => c.name);

    it("creates a community with @everyone and #general; the owner holds every permission", async () => {
      const created = await f.services.communities.create(owner.accountId, {
        name: "Guild",
        description: "hi",
      });
      expect(created.roles).toEqual([
        expect.objectContaining({ roleId: created.communityId, name: "@everyone", position: 0 }),
      ]);
      expect(created.channels.map((c) => [c.name, c.type, c.historyPolicy])).toEqual([
        ["general", "text", { kind: "days", days: 30 }],
      ]);
      expect(created.members.map((m) => m.handle)).toEqual(["owner"]);
      expect((await f.services.communities.list(owner.accountId)).communities).toEqual([
        { communityId: created.communityId, name: "Guild", ownerAccountId: owner.accountId, memberCount: 1 },
      ]);
      // a non-member learns nothing, not even that it exists
      await expectCode(
        f.services.communities.get(bob.accountId, created.communityId),
        "VOLLY_E_UNKNOWN_COMMUNITY",
      );
    });

    it("invites: members join by code; an expired, used-up or revoked invite and a banned account are refused", async () => {
      const { communityId } = await community();
      expect((await f.services.communities.list(bob.accountId)).communities[0]?.memberCount).toBe(3);
      const dave = await registerDevice(f.services, "dave");
      const once = await f.services.communities.createInvite(owner.accountId, communityId, { maxUses: 1 });
      const eve = await registerDevice(f.services, "eve");
      await f.services.communities.join(eve.accountId, once.code);
      await expectCode(
        f.services.communities.join(dave.accountId, once.code),
        "VOLLY_E_COMMUNITY_INVITE_INVALID",
      );
      const brief = await f.services.communities.createInvite(owner.accountId, communityId, {
        maxAgeSeconds: 60,
      });
      f.clock.advance(61_000);
      await expectCode(
        f.services.communities.join(dave.accountId, brief.code),
        "VOLLY_E_COMMUNITY_INVITE_INVALID",
      );
      const revoked = await f.services.communities.createInvite(owner.accountId, communityId, {});
      await f.services.communities.revokeInvite(owner.accountId, communityId, revoked.code);
      await expectCode(
        f.services.communities.previewInvite(revoked.code),
        "VOLLY_E_COMMUNITY_INVITE_INVALID",
      );
      const open = await f.services.communities.createInvite(owner.accountId, communityId, {});
      expect(await f.services.communities.previewInvite(open.code)).toMatchObject({
        name: "Guild",
        memberCount: 4,
      });
      await f.services.moderation.ban(owner.accountId, communityId, dave.accountId, "spam");
      await expectCode(f.services.communities.join(dave.accountId, open.code), "VOLLY_E_BANNED");
      await f.services.moderation.unban(owner.accountId, communityId, dave.accountId);
      await f.services.communities.join(dave.accountId, open.code);
    });

    it("a member without MANAGE_CHANNELS is refused with VOLLY_E_FORBIDDEN naming the permission", async () => {
      const { communityId } = await community();
      const refused = await expectCode(
        f.services.channels.create(bob.accountId, communityId, { name: "mine" }),
        "VOLLY_E_FORBIDDEN",
      );
      expect(refused.details).toMatchObject({ permission: "MANAGE_CHANNELS" });
      const role = await expectCode(
        f.services.roles.create(bob.accountId, communityId, { name: "self-made" }),
        "VOLLY_E_FORBIDDEN",
      );
      expect(role.details).toMatchObject({ permission: "MANAGE_ROLES" });
    });

    it("a private channel is invisible without VIEW_CHANNEL; a role with an allow overwrite shows it, removing the role hides it", async () => {
      const { communityId } = await community();
      const secret = await f.services.channels.create(owner.accountId, communityId, {
        name: "mods",
        private: true,
      });
      const mod = await f.services.roles.create(owner.accountId, communityId, {
        name: "mod",
        color: 0x3366ff,
      });
      await f.services.channels.setOverwrite(owner.accountId, secret.channelId, mod.roleId, {
        type: "role",
        allow: serializePermissions(permissionsOf(["VIEW_CHANNEL"])),
        deny: "0",
      });
      expect(await visibleChannels(bob, communityId)).toEqual(["general"]);
      await expectCode(
        f.services.channels.update(bob.accountId, secret.channelId, { topic: "x" }),
        "VOLLY_E_UNKNOWN_CHANNEL",
      );
      await f.services.roles.assign(owner.accountId, communityId, bob.accountId, mod.roleId);
      expect(await visibleChannels(bob, communityId)).toEqual(["general", "mods"]);
      expect(await visibleChannels(carol, communityId)).toEqual(["general"]);
      await f.services.roles.unassign(owner.accountId, communityId, bob.accountId, mod.roleId);
      expect(await visibleChannels(bob, communityId)).toEqual(["general"]);
    });

    it("the channel's MLS group follows VIEW_CHANNEL: losing the role departs the device at once, and after its Remove it cannot decrypt", async () => {
      const { communityId } = await community();
      const secret = await f.services.channels.create(owner.accountId, communityId, {
        name: "mods",
        private: true,
      });
      const mod = await f.services.roles.create(owner.accountId, communityId, { name: "mod" });
      await f.services.channels.setOverwrite(owner.accountId, secret.channelId, mod.roleId, {
        type: "role",
        allow: serializePermissions(permissionsOf(["VIEW_CHANNEL", "SEND_MESSAGES"])),
        deny: "0",
      });
      const groupId = newId();
      await f.services.groups.createGroup(owner.deviceId, {
        ...(await createGroupBody(groupId, owner)),
        channelId: secret.channelId,
      });
      expect(
        (await f.services.communities.get(owner.accountId, communityId)).channels.find(
          (c) => c.name === "mods",
        )?.groupId,
      ).toBe(groupId);
      // bob may not be added (nor see the group) without access
      const early = await commitBody(f.store, groupId, owner, [bob]);
      const refused = await expectCode(
        f.services.delivery.commit(owner.deviceId, groupId, early),
        "VOLLY_E_FORBIDDEN",
      );
      expect(refused.details).toMatchObject({ permission: "VIEW_CHANNEL" });
      await expectCode(f.services.groups.getGroupInfo(bob.deviceId, groupId), "VOLLY_E_NOT_GROUP_MEMBER");

      await f.services.roles.assign(owner.accountId, communityId, bob.accountId, mod.roleId);
      expect(await f.services.groups.getGroupInfo(bob.deviceId, groupId)).toMatchObject({ groupId });
      await f.services.delivery.commit(
        owner.deviceId,
        groupId,
        await commitBody(f.store, groupId, owner, [bob]),
      );
      const before = await encryptAs(f.store, groupId, owner, "welcome, mod");
      expect(await decryptAs(f.store, groupId, bob, before.ciphertext)).toBe("welcome, mod");
      const bobsOldState = await memberState(f.store, groupId, bob.deviceId);

      await f.services.roles.unassign(owner.accountId, communityId, bob.accountId, mod.roleId);
      // the server ended bob's membership at once (a departure entry) …
      expect((await f.store.groups.findMembership(groupId, bob.deviceId))?.leftSeq).not.toBeNull();
      await expectCode(
        f.services.delivery.sendMessage(bob.deviceId, groupId, {
          messageId: newId(),
          epoch: 1,
          ciphertext: "AAAA",
        }),
        "VOLLY_E_NOT_GROUP_MEMBER",
      );
      // … and any member may commit the Remove it asks for
      await f.services.delivery.commit(
        owner.deviceId,
        groupId,
        await commitBody(f.store, groupId, owner, [], [bob]),
      );
      const after = await encryptAs(f.store, groupId, owner, "mods only");
      if (!bobsOldState) throw new Error("bob had a state");
      await expect(
        processMessage(await testSuite(), bobsOldState, fromBase64Url(after.ciphertext)),
      ).rejects.toThrow();
      expect(await memberState(f.store, groupId, bob.deviceId)).toBeUndefined();
    });

    it("a device that may view a channel joins its group by external commit with nobody else online; an outsider cannot", async () => {
      const { channels } = await community();
      const general = channels[0]?.channelId as string;
      const groupId = newId();
      await f.services.groups.createGroup(owner.deviceId, {
        ...(await createGroupBody(groupId, owner)),
        channelId: general,
      });
      const joined = await f.services.delivery.commit(
        bob.deviceId,
        groupId,
        await externalJoinBody(f.store, groupId, bob),
      );
      expect(joined).toEqual({ seq: 1, epoch: 1 });
      expect(f.published.map((p) => p.message)).toContainEqual({
        type: "group-joined",
        deviceId: bob.deviceId,
        groupId,
        joinedSeq: 1,
      });
      const hello = await encryptAs(f.store, groupId, owner, "hello bob");
      expect(await decryptAs(f.store, groupId, bob, hello.ciphertext)).toBe("hello bob");

      // an outsider (not a member of the community) is not even shown the GroupInfo
      const dave = await registerDevice(f.services, "dave");
      await expectCode(f.services.groups.getGroupInfo(dave.deviceId, groupId), "VOLLY_E_NOT_GROUP_MEMBER");
    });

    it("a device that lost access and got it back before its Remove was committed rejoins in place of its old leaf", async () => {
      const { communityId } = await community();
      const secret = await f.services.channels.create(owner.accountId, communityId, {
        name: "mods",
        private: true,
      });
      const groupId = newId();
      await f.services.groups.createGroup(owner.deviceId, {
        ...(await createGroupBody(groupId, owner)),
        channelId: secret.channelId,
      });
      const allowBob = () =>
        f.services.channels.setOverwrite(owner.accountId, secret.channelId, bob.accountId, {
          type: "member",
          allow: serializePermissions(permissionsOf(["VIEW_CHANNEL", "SEND_MESSAGES"])),
          deny: "0",
        });
      await allowBob();
      await f.services.delivery.commit(bob.deviceId, groupId, await externalJoinBody(f.store, groupId, bob));
      await f.services.channels.deleteOverwrite(owner.accountId, secret.channelId, bob.accountId);
      expect((await f.store.groups.findMembership(groupId, bob.deviceId))?.leftSeq).not.toBeNull();
      await allowBob(); // back before anyone committed the Remove of bob's old leaf
      const rejoin = { ...(await commitBody(f.store, groupId, bob)), addDeviceIds: [bob.deviceId] };
      await f.services.delivery.commit(bob.deviceId, groupId, rejoin);
      expect((await f.store.groups.findMembership(groupId, bob.deviceId))?.leftSeq).toBeNull();
      const hello = await encryptAs(f.store, groupId, owner, "welcome back");
      expect(await decryptAs(f.store, groupId, bob, hello.ciphertext)).toBe("welcome back");
      // a current member may not declare itself added again
      const again = { ...(await commitBody(f.store, groupId, bob)), addDeviceIds: [bob.deviceId] };
      await expectCode(f.services.delivery.commit(bob.deviceId, groupId, again), "VOLLY_E_BAD_REQUEST");
    });

    it("a timed-out member's sends are refused until the timeout ends; an undeclared permission is refused at send", async () => {
      const { communityId, channels } = await community();
      const general = channels[0]?.channelId as string;
      const groupId = newId();
      await f.services.groups.createGroup(owner.deviceId, {
        ...(await createGroupBody(groupId, owner)),
        channelId: general,
      });
      await f.services.delivery.commit(
        owner.deviceId,
        groupId,
        await commitBody(f.store, groupId, owner, [carol]),
      );
      const send = async () => {
        const { epoch, ciphertext } = await encryptAs(f.store, groupId, carol, "hi");
        return f.services.delivery.sendMessage(carol.deviceId, groupId, {
          messageId: newId(),
          epoch,
          ciphertext,
        });
      };
      await send();
      // @everyone may attach files by default, not mention everyone: the server checks what a message declares
      const declaring = async (declares: ("attachment" | "mention-everyone")[]) => {
        const { epoch, ciphertext } = await encryptAs(f.store, groupId, carol, "declared");
        return f.services.delivery.sendMessage(carol.deviceId, groupId, {
          messageId: newId(),
          epoch,
          ciphertext,
          declares,
        });
      };
      await declaring(["attachment"]);
      const everyone = await expectCode(declaring(["mention-everyone"]), "VOLLY_E_FORBIDDEN");
      expect(everyone.details).toMatchObject({ permission: "MENTION_EVERYONE" });
      const member = await f.services.moderation.timeout(
        owner.accountId,
        communityId,
        carol.accountId,
        600_000,
        "cool down",
      );
      expect(member.timedOutUntil).toBe(f.clock.now() + 600_000);
      const refused = await expectCode(send(), "VOLLY_E_FORBIDDEN");
      expect(refused.details).toMatchObject({ permission: "SEND_MESSAGES" });
      f.clock.advance(600_001);
      await send();
    });

    it("kick and ban remove the member, need the permission and a higher role, and are in the audit log with their reasons", async () => {
      const { communityId } = await community();
      const mod = await f.services.roles.create(owner.accountId, communityId, {
        name: "mod",
        permissions: serializePermissions(permissionsOf(["KICK_MEMBERS", "BAN_MEMBERS", "VIEW_AUDIT_LOG"])),
      });
      await f.services.roles.assign(owner.accountId, communityId, bob.accountId, mod.roleId);
      // carol has no role: bob outranks her; the owner is out of reach
      await expectCode(
        f.services.moderation.kick(carol.accountId, communityId, bob.accountId),
        "VOLLY_E_FORBIDDEN",
      );
      await expectCode(
        f.services.moderation.kick(bob.accountId, communityId, owner.accountId),
        "VOLLY_E_FORBIDDEN",
      );
      const published = f.published.length;
      await f.services.moderation.kick(bob.accountId, communityId, carol.accountId, "rude");
      // the kicked member's and the remaining members' sessions hear of it (gateway COMMUNITY_UPDATE)
      expect(
        f.published
          .slice(published)
          .flatMap((p) => (p.message.type === "community-updated" ? [p.message.deviceId] : []))
          .sort(),
      ).toEqual([owner.deviceId, bob.deviceId, carol.deviceId].sort());
      await expectCode(f.services.communities.get(carol.accountId, communityId), "VOLLY_E_UNKNOWN_COMMUNITY");
      const dave = await registerDevice(f.services, "dave");
      await f.services.moderation.ban(bob.accountId, communityId, dave.accountId, "raider");
      expect((await f.services.moderation.listBans(bob.accountId, communityId)).bans).toEqual([
        expect.objectContaining({
          accountId: dave.accountId,
          handle: "dave",
          reason: "raider",
          bannedBy: bob.accountId,
        }),
      ]);
      const log = (await f.services.moderation.auditLog(bob.accountId, communityId)).entries;
      expect(log.slice(0, 2).map((e) => [e.action, e.actorAccountId, e.targetId, e.reason])).toEqual([
        ["member.ban", bob.accountId, dave.accountId, "raider"],
        ["member.kick", bob.accountId, carol.accountId, "rude"],
      ]);
      // without VIEW_AUDIT_LOG the log is closed
      const eve = await registerDevice(f.services, "eve");
      const invite = await f.services.communities.createInvite(owner.accountId, communityId, {});
      await f.services.communities.join(eve.accountId, invite.code);
      await expectCode(f.services.moderation.auditLog(eve.accountId, communityId), "VOLLY_E_FORBIDDEN");
    });

    it("role hierarchy: a manager reaches only roles below its own highest, and grants only permissions it has", async () => {
      const { communityId } = await community();
      const manager = await f.services.roles.create(owner.accountId, communityId, {
        name: "manager",
        permissions: serializePermissions(permissionsOf(["MANAGE_ROLES", "KICK_MEMBERS"])),
      });
      const helper = await f.services.roles.create(owner.accountId, communityId, { name: "helper" });
      // the newest role is created at position 1: move manager above helper
      await f.services.roles.update(owner.accountId, communityId, manager.roleId, { position: 2 });
      await f.services.roles.assign(owner.accountId, communityId, bob.accountId, manager.roleId);
      await f.services.roles.assign(bob.accountId, communityId, carol.accountId, helper.roleId);
      await expectCode(
        f.services.roles.assign(bob.accountId, communityId, carol.accountId, manager.roleId),
        "VOLLY_E_FORBIDDEN",
      );
      const grant = await expectCode(
        f.services.roles.update(bob.accountId, communityId, helper.roleId, {
          permissions: serializePermissions(permissionsOf(["BAN_MEMBERS"])),
        }),
        "VOLLY_E_FORBIDDEN",
      );
      expect(grant.details).toMatchObject({ permission: "BAN_MEMBERS" });
      const roles = (await f.services.communities.get(owner.accountId, communityId)).roles;
      expect(roles.map((r) => [r.name, r.position])).toEqual([
        ["@everyone", 0],
        ["helper", 1],
        ["manager", 2],
      ]);
    });

    it("concurrent role creations and moves by two admins converge on positions 1…n", async () => {
      const { communityId } = await community();
      const admin = await f.services.roles.create(owner.accountId, communityId, {
        name: "admin",
        permissions: serializePermissions(permissionsOf(["ADMINISTRATOR"])),
      });
      await f.services.roles.assign(owner.accountId, communityId, bob.accountId, admin.roleId);
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          f.services.roles.create(i % 2 === 0 ? owner.accountId : bob.accountId, communityId, {
            name: `r${i}`,
          }),
        ),
      );
      const roles = (await f.services.communities.get(owner.accountId, communityId)).roles;
      expect(roles.map((r) => r.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it("ownership moves with a transfer; the owner cannot leave before it; deleting is the owner's alone", async () => {
      const { communityId } = await community();
      await expectCode(
        f.services.communities.leave(owner.accountId, communityId),
        "VOLLY_E_OWNER_CANNOT_LEAVE",
      );
      await expectCode(f.services.communities.delete(bob.accountId, communityId), "VOLLY_E_FORBIDDEN");
      await f.services.communities.transferOwnership(owner.accountId, communityId, bob.accountId);
      await f.services.communities.leave(owner.accountId, communityId);
      expect((await f.services.communities.list(owner.accountId)).communities).toEqual([]);
      await f.services.communities.delete(bob.accountId, communityId);
      await expectCode(f.services.communities.get(bob.accountId, communityId), "VOLLY_E_UNKNOWN_COMMUNITY");
    });
  });
});
