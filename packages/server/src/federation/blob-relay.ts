import { randomBytes } from "node:crypto";
import { blobSize, FEDERATION_PREFIX, VollyError } from "@volly/protocol";
import type { ReadableBlob } from "../services/blobs/blob-access.js";
import type { FederationContext } from "./federation-context.js";
import type { GroupHubs } from "./group-hubs.js";

/**
 * Attachments in groups that span servers. A blob is uploaded to its sender's home server (tus, as
 * on one server) and named by the SHA-256 of its ciphertext, so any copy can be checked. When the
 * message pointing at it reaches the group's hub, the hub fetches the blob from that home server
 * before it appends the message; a follower server records which blobs each mirrored message points
 * at and fetches one from the hub the first time one of its devices reads it. Devices only ever
 * talk to their own home server; every server stores the ciphertext it serves, checked against its
 * id; none can read it.
 */
export interface BlobRelay {
  /**
   * A blob of `groupId` for the calling server `origin`: allowed when `origin` is the group's hub
   * (fetching a blob a member of this server sent) or has a device that is or was a member (the
   * same servers that may read the group's log). The hub may also fetch a blob uploaded for another
   * group by an account that is a member of this one (an avatar, uploaded once and pointed at from
   * each of its uploader's conversations) before any message of this group points at it.
   *
   * @throws VOLLY_E_NOT_FOUND when this server holds no such complete blob of the group, or
   *   `origin` may not read it (the same answer)
   */
  servable(origin: string, groupId: string, blobId: string): Promise<ReadableBlob>;
  /**
   * Makes sure this server holds the complete blob `blobId` of `groupId`, fetching it from `server`
   * when it does not (concurrent calls for one blob share one fetch). The bytes are checked against
   * the id and stored as a blob of the group uploaded by `accountId` (the sender's account), within
   * that account's storage quota as for a local account.
   *
   * @throws VOLLY_E_BLOB_MISMATCH (the bytes do not hash to the id), VOLLY_E_QUOTA_EXCEEDED (details
   *   as for an upload), what the other server answered
   *   (VOLLY_E_NOT_FOUND, …), VOLLY_E_FEDERATION_UNREACHABLE (including "too-large": past this
   *   server's largest upload)
   */
  ensure(server: string, groupId: string, blobId: string, accountId: string): Promise<void>;
}

/** Builds the {@link BlobRelay}. */
export function createBlobRelay(ctx: FederationContext, hubs: GroupHubs): BlobRelay {
  const { store } = ctx.service;
  const blobs = ctx.services.blobs;
  const fetching = new Map<string, Promise<void>>();

  const fetchFrom = async (server: string, groupId: string, blobId: string, accountId: string) => {
    const uploadId = randomBytes(16).toString("hex");
    await blobs.files.ensure();
    try {
      const size = await ctx.caller.download(
        server,
        `${FEDERATION_PREFIX}/groups/${groupId}/blobs/${blobId}`,
        blobs.files.uploadPath(uploadId),
        blobSize(blobs.config.maxUploadBytes),
      );
      // The sender's account holds its copies under the same quota as a local account's uploads.
      await blobs.admission.reserve(accountId, { id: uploadId, groupId, blobId, size });
      // The hash check and the move to the blob's path, as for an upload of this server's.
      await blobs.completion.complete(uploadId);
    } catch (error) {
      await blobs.files.removeUpload(uploadId);
      throw error;
    }
  };

  /** Whether a device of the account is a current member of the group. */
  const uploaderIsMember = async (accountId: string, groupId: string) => {
    for (const device of await store.devices.listByAccount(accountId)) {
      const membership = await store.groups.findMembership(groupId, device.id);
      if (membership && membership.leftSeq === null) return true;
    }
    return false;
  };

  return {
    async servable(origin, groupId, blobId) {
      const hub = await hubs.hubOf(groupId);
      const reader = hub === origin || (await store.federation.followerServers(groupId)).includes(origin);
      const found = reader ? await store.blobs.findBlob(blobId) : undefined;
      const ofGroup =
        found &&
        ((await store.blobs.inGroup(blobId, groupId)) ||
          (hub === origin && (await uploaderIsMember(found.accountId, groupId))));
      if (!found || !ofGroup) throw new VollyError("VOLLY_E_NOT_FOUND");
      return { blob: found, path: blobs.files.blobPath(blobId) };
    },

    async ensure(server, groupId, blobId, accountId) {
      if (await store.blobs.findBlob(blobId)) return;
      let running = fetching.get(blobId);
      if (!running) {
        running = fetchFrom(server, groupId, blobId, accountId).finally(() => fetching.delete(blobId));
        fetching.set(blobId, running);
      }
      await running;
    },
  };
}

/**
 * Lets this server's devices read the blobs of groups hosted elsewhere: wraps
 * `services.blobs.access.readable` in place so a blob this server does not hold, which a message of
 * a group the device is a member of points at, is first fetched from that group's hub.
 */
export function installBlobReads(ctx: FederationContext, relay: BlobRelay, hubs: GroupHubs): void {
  const { store } = ctx.service;
  const access = ctx.services.blobs.access;
  const readable = access.readable.bind(access);
  access.readable = async (device, blobId) => {
    try {
      return await readable(device, blobId);
    } catch (error) {
      if (!(error instanceof VollyError) || error.code !== "VOLLY_E_NOT_FOUND") throw error;
      // Not held here (or not the device's to read): a message of the device's groups hosted
      // elsewhere may point at it.
      const reference = await store.blobs.referenceForDevice(blobId, device.deviceId);
      const hub = reference && (await hubs.hubOf(reference.groupId));
      if (!reference || hub === undefined) throw error;
      const sender = await store.devices.findById(reference.senderDeviceId);
      if (!sender) throw error;
      await relay.ensure(hub, reference.groupId, blobId, sender.accountId).catch((failure: unknown) => {
        ctx.log.warn(
          { hub, groupId: reference.groupId, code: (failure as VollyError).code },
          "blob fetch failed",
        );
        throw failure;
      });
      await store.blobs.markSent([blobId]);
      return readable(device, blobId);
    }
  };
}
