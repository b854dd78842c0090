import { newId } from "@volly/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BlobRecord, UNDECLARED_BLOB_ID } from "../src/store/types.js";
import { expectCode } from "./helpers/expect-code.js";
import {
  fakeCiphertext,
  groupWith,
  registerDevice,
  type ServiceFixture,
  serviceFixture,
  type TestDevice,
} from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";
import { fakeBlob } from "./helpers/tus-client.js";

forEachBackend((backend) => {
  describe("blob store: uploads, blobs and the messages pointing at them", () => {
    let f: ServiceFixture;
    let alice: TestDevice;
    let bob: TestDevice;
    let groupId: string;
    let otherGroupId: string;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      alice = await registerDevice(f.services, "alice");
      bob = await registerDevice(f.services, "bob");
      groupId = await groupWith(f, alice, [bob]);
      otherGroupId = await groupWith(f, bob);
    });
    afterEach(() => f.close());

    let uploads = 0;
    const upload = async (group = groupId, size = 1000, device = alice): Promise<BlobRecord> => {
      const record: BlobRecord = {
        id: (++uploads).toString(16).padStart(32, "0"),
        blobId: fakeBlob(8).blobId,
        groupId: group,
        accountId: device.accountId,
        size,
        state: "uploading",
        createdAt: f.clock.now(),
        expiresAt: f.clock.now() + 1000,
      };
      await f.store.blobs.insertUpload(record);
      return record;
    };
    const complete = async (group = groupId, size = 1000, device = alice) => {
      const record = await upload(group, size, device);
      expect(await f.store.blobs.complete(record.id, f.clock.now() + 1000, record.blobId)).toBe(true);
      return record;
    };
    const send = (blobIds: string[], messageId = newId()) =>
      f.services.delivery.sendMessage(alice.deviceId, groupId, {
        messageId,
        epoch: 1,
        ciphertext: fakeCiphertext(),
        blobIds,
        declares: ["attachment"],
      });

    it("counts uploads and blobs against the account, completes a blob id once, serves only complete ones", async () => {
      const first = await upload(groupId, 700);
      await upload(groupId, 300);
      expect(await f.store.blobs.usedBytes(alice.accountId)).toBe(1000);
      expect(await f.store.blobs.usedBytes(bob.accountId)).toBe(0);
      expect(await f.store.blobs.findBlob(first.blobId)).toBeUndefined();
      expect(await f.store.blobs.complete(first.id, 5, first.blobId)).toBe(true);
      expect(await f.store.blobs.findBlob(first.blobId)).toMatchObject({
        id: first.id,
        state: "complete",
        expiresAt: 5,
      });
      expect(await f.store.blobs.complete(first.id, 5, first.blobId)).toBe(false);
      const again = { ...(await upload()), blobId: first.blobId };
      await f.store.blobs.deleteRow(again.id);
      await f.store.blobs.insertUpload({ ...again, id: "f".repeat(32) });
      expect(await f.store.blobs.complete("f".repeat(32), 5, first.blobId)).toBe(false);
    });

    it("completes an upload created without a blob id under the one computed at completion, once", async () => {
      const first = { ...(await upload()), blobId: UNDECLARED_BLOB_ID };
      await f.store.blobs.deleteRow(first.id);
      await f.store.blobs.insertUpload(first);
      const { blobId } = fakeBlob(8);
      expect(await f.store.blobs.findBlob(UNDECLARED_BLOB_ID)).toBeUndefined();
      expect(await f.store.blobs.complete(first.id, 5, blobId)).toBe(true);
      expect(await f.store.blobs.findBlob(blobId)).toMatchObject({ id: first.id, blobId, state: "complete" });
      const second = { ...(await upload()), blobId: UNDECLARED_BLOB_ID };
      await f.store.blobs.deleteRow(second.id);
      await f.store.blobs.insertUpload(second);
      expect(await f.store.blobs.complete(second.id, 5, blobId)).toBe(false);
      expect(await f.store.blobs.findUpload(second.id)).toMatchObject({ state: "uploading" });
    });

    it("records references only to complete blobs of the group, in the message's transaction", async () => {
      const mine = await complete();
      const elsewhere = await complete(otherGroupId, 1000, bob);
      const unfinished = await upload();
      for (const blobId of [elsewhere.blobId, unfinished.blobId, fakeBlob(1).blobId]) {
        await expectCode(send([mine.blobId, blobId]), "VOLLY_E_BLOB_NOT_READY");
      }
      // Nothing of the refused sends was stored: no message, and the blob still expires unsent.
      expect((await f.services.delivery.backlog(bob.deviceId)).messages).toEqual([]);
      expect((await f.store.blobs.findBlob(mine.blobId))?.expiresAt).toBeDefined();
      await expectCode(
        f.services.delivery.sendMessage(alice.deviceId, groupId, {
          messageId: newId(),
          epoch: 1,
          ciphertext: fakeCiphertext(),
          blobIds: [mine.blobId],
        }),
        "VOLLY_E_BAD_REQUEST",
      );
      const messageId = newId();
      await send([mine.blobId], messageId);
      expect((await f.store.blobs.findBlob(mine.blobId))?.expiresAt).toBeUndefined();
      expect(await f.store.blobs.expireUnsent(f.clock.now() + 10_000, 10)).toBe(1); // only `elsewhere`
      expect(await f.store.blobs.findBlob(mine.blobId)).toBeDefined();
    });

    it("lets an uploader point at its blob from another group, whose members may then read it", async () => {
      const carol = await registerDevice(f.services, "carol");
      // bob uploads in his own group, then shares it where alice is (an avatar)
      const avatar = await complete(otherGroupId, 1000, bob);
      expect(await f.store.blobs.referenceForDevice(avatar.blobId, alice.deviceId)).toBeUndefined();
      await f.services.delivery.sendMessage(bob.deviceId, groupId, {
        messageId: newId(),
        epoch: 1,
        ciphertext: fakeCiphertext(),
        blobIds: [avatar.blobId],
        declares: ["attachment"],
      });
      expect(await f.store.blobs.referenceForDevice(avatar.blobId, alice.deviceId)).toEqual({
        groupId,
        senderDeviceId: bob.deviceId,
      });
      expect(await f.store.blobs.referenceForDevice(avatar.blobId, carol.deviceId)).toBeUndefined();
      // Its upload group losing every member does not remove it while alice's group points at it.
      await f.services.delivery.leave(bob.deviceId, otherGroupId);
      expect(await f.store.blobs.removeMemberless(10)).toBe(0);
      expect(await f.store.blobs.findBlob(avatar.blobId)).toBeDefined();
    });

    it("removes a blob when the last message pointing at it goes, by deletion or by age", async () => {
      const shared = await complete();
      const old = await complete();
      const first = newId();
      const second = newId();
      await send([shared.blobId], first);
      await send([shared.blobId, old.blobId], second);
      expect(await f.store.blobs.release(groupId, [first])).toEqual([]);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      const both = [shared, old].map(({ id, blobId }) => ({ id, blobId })).sort(byId);
      expect((await f.store.blobs.release(groupId, [second])).sort(byId)).toEqual(both);
      expect(await f.store.blobs.findBlob(shared.blobId)).toBeUndefined();
      expect(await f.store.blobs.usedBytes(alice.accountId)).toBe(0);
      expect((await f.store.blobs.listRemoved(10)).sort(byId)).toEqual(both);
      for (const { id } of both) expect(await f.store.blobs.deleteRow(id)).toBe(true);

      const kept = await complete();
      f.clock.advance(1000);
      await send([kept.blobId]);
      expect(await f.store.blobs.releaseOlderThan(f.clock.now(), 10)).toBe(0);
      const young = await f.store.blobs.releaseOlderThan(f.clock.now() + 1, 10);
      expect(young).toBe(1);
      expect(await f.store.blobs.listRemoved(10)).toEqual([{ id: kept.id, blobId: kept.blobId }]);
    });

    it("deletes for everyone a message pruned after delivery by its blob references, taking its blobs", async () => {
      const blob = await complete();
      const messageId = newId();
      const { seq } = await send([blob.blobId], messageId);
      await f.store.transaction((tx) => tx.retention.deleteEntries({ groupId, afterSeq: 0, upToSeq: seq }));
      expect(await f.store.log.findByMessageId(groupId, messageId)).toBeUndefined();
      await expectCode(f.services.delivery.deleteMessage(bob, groupId, messageId), "VOLLY_E_FORBIDDEN");
      expect(await f.services.delivery.deleteMessage(alice, groupId, messageId)).toEqual({ messageId, seq });
      expect(await f.store.blobs.findBlob(blob.blobId)).toBeUndefined();
      await expectCode(
        f.services.delivery.deleteMessage(alice, groupId, messageId),
        "VOLLY_E_UNKNOWN_MESSAGE",
      );
    });

    it("expires unfinished uploads, and removes the blobs of a group without members", async () => {
      const stale = await upload();
      expect(await f.store.blobs.deleteExpiredUploads(f.clock.now() + 999, 10)).toEqual([]);
      expect(await f.store.blobs.deleteExpiredUploads(f.clock.now() + 1001, 10)).toEqual([
        { id: stale.id, blobId: stale.blobId },
      ]);
      expect(await f.store.blobs.findUpload(stale.id)).toBeUndefined();

      const theirs = await complete(otherGroupId);
      expect(await f.store.blobs.removeMemberless(10)).toBe(0);
      await f.services.delivery.leave(bob.deviceId, otherGroupId);
      expect(await f.store.blobs.removeMemberless(10)).toBe(1);
      expect(await f.store.blobs.findBlob(theirs.blobId)).toBeUndefined();
    });
  });
});
