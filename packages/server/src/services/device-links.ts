import {
  type ApproveDeviceLinkResponse,
  type ClaimDeviceLinkBody,
  type CreateDeviceLinkResponse,
  type DeviceLinkStatus,
  LIMITS,
  newId,
  signingInput,
  VollyError,
} from "@volly/protocol";
import { deviceChannel } from "../bus/bus.js";
import { StoreConflict } from "../store/store-conflict.js";
import type { DeviceLinkRecord } from "../store/types.js";
import type { AuthContext, ServiceContext } from "./context.js";
import { verifySignature } from "./signatures.js";

/**
 * Device linking (authentication service): an existing device opens a link, a new device claims it
 * with its key, the existing device approves (the server registers the new device under the
 * account) or declines (nothing is registered; the new device's poll sees "declined"). The pairing
 * secret never reaches the server, so it cannot check the claim's proof — the creating device does,
 * before approving (see `device-links.ts` in @volly/protocol).
 */
export interface DeviceLinkService {
  /** Opens a link for the calling device's account, valid LIMITS.deviceLinkTtlMs (15 min), single use. */
  create(device: AuthContext): Promise<CreateDeviceLinkResponse>;
  /**
   * Claims an open link with a new key. The signature must verify over
   * `signingInput.linkClaim(linkId, key)` with that key. Stores key, name and proof, then tells the
   * live sessions of every active device of the account (bus "device-link-claimed" → dispatch
   * DEVICE_LINK_CLAIMED).
   *
   * @throws VOLLY_E_LINK_INVALID (unknown or already claimed), VOLLY_E_LINK_DECLINED (claimed and
   *   declined), VOLLY_E_LINK_EXPIRED, VOLLY_E_BAD_SIGNATURE, VOLLY_E_KEY_TAKEN (the key belongs to a
   *   registered device)
   */
  claim(linkId: string, body: ClaimDeviceLinkBody): Promise<DeviceLinkStatus>;
  /**
   * A link's status ("expired" once its TTL passed unless approved or declined); once approved, the
   * new device's id, account id and handle. @throws VOLLY_E_LINK_INVALID (unknown)
   */
  status(linkId: string): Promise<DeviceLinkStatus>;
  /**
   * Approves a claimed link: only the creating device, with a signature over
   * `signingInput.linkApprove(accountId, linkId, key)` by its own key. Registers the claimed key as a
   * new device of the account and marks the link approved, in one transaction.
   *
   * @throws VOLLY_E_LINK_INVALID (unknown, another device's, not claimed or already approved),
   *   VOLLY_E_LINK_DECLINED, VOLLY_E_LINK_EXPIRED, VOLLY_E_BAD_SIGNATURE, VOLLY_E_KEY_TAKEN
   */
  approve(device: AuthContext, linkId: string, signature: string): Promise<ApproveDeviceLinkResponse>;
  /**
   * Declines a claimed link: only the creating device (its bearer token is the authorization; a
   * decline registers nothing, so no signature is asked). The link becomes "declined" for good: it
   * cannot be claimed or approved again, and the new device's status poll sees it at once.
   * Idempotent: declining a declined link answers its status again.
   *
   * @returns the link's status ("declined")
   * @throws VOLLY_E_LINK_INVALID (unknown, another device's, not claimed yet or already approved),
   *   VOLLY_E_LINK_EXPIRED
   */
  decline(device: AuthContext, linkId: string): Promise<DeviceLinkStatus>;
}

/** Builds the {@link DeviceLinkService}. */
export function createDeviceLinkService({ store, bus, now }: ServiceContext): DeviceLinkService {
  const find = async (linkId: string): Promise<DeviceLinkRecord> => {
    const link = await store.deviceLinks.find(linkId);
    if (!link) throw new VollyError("VOLLY_E_LINK_INVALID", undefined, { linkId });
    return link;
  };
  /** Open and claimed links expire; approved and declined ones are final. */
  const expired = (link: DeviceLinkRecord) =>
    (link.status === "open" || link.status === "claimed") && now() >= link.expiresAt;
  const declined = (linkId: string) => new VollyError("VOLLY_E_LINK_DECLINED", undefined, { linkId });

  const toStatus = async (link: DeviceLinkRecord): Promise<DeviceLinkStatus> => {
    const base = { linkId: link.id, expiresAt: link.expiresAt };
    if (link.status !== "approved" || link.deviceId === undefined) {
      return { ...base, status: expired(link) ? "expired" : link.status };
    }
    const account = await store.accounts.findById(link.accountId);
    return {
      ...base,
      status: "approved",
      deviceId: link.deviceId,
      accountId: link.accountId,
      ...(account ? { handle: account.handle } : {}),
    };
  };

  return {
    async create(device) {
      const createdAt = now();
      const link: DeviceLinkRecord = {
        id: newId(),
        accountId: device.accountId,
        creatorDeviceId: device.deviceId,
        expiresAt: createdAt + LIMITS.deviceLinkTtlMs,
        status: "open",
        createdAt,
      };
      await store.deviceLinks.insert(link);
      return { linkId: link.id, expiresAt: link.expiresAt };
    },

    async claim(linkId, body) {
      const link = await find(linkId);
      const key = body.signaturePublicKey;
      if (!verifySignature(key, signingInput.linkClaim(linkId, key), body.signature)) {
        throw new VollyError("VOLLY_E_BAD_SIGNATURE");
      }
      if (link.status === "declined") throw declined(linkId);
      if (link.status !== "open") throw new VollyError("VOLLY_E_LINK_INVALID", undefined, { linkId });
      if (expired(link)) throw new VollyError("VOLLY_E_LINK_EXPIRED", undefined, { linkId });
      if (await store.devices.findBySignatureKey(key)) throw new VollyError("VOLLY_E_KEY_TAKEN");
      if (!(await store.deviceLinks.claim(linkId, { key, name: body.name, proof: body.proof }, now()))) {
        // Claimed concurrently, or expired meanwhile.
        const current = await find(linkId);
        if (current.status === "declined") throw declined(linkId);
        throw new VollyError(expired(current) ? "VOLLY_E_LINK_EXPIRED" : "VOLLY_E_LINK_INVALID", undefined, {
          linkId,
        });
      }
      for (const device of await store.devices.listByAccount(link.accountId)) {
        if (device.revokedAt !== undefined) continue;
        bus.publish(deviceChannel(device.id), {
          type: "device-link-claimed",
          deviceId: device.id,
          linkId,
          signaturePublicKey: key,
          name: body.name,
          proof: body.proof,
        });
      }
      return toStatus(await find(linkId));
    },

    async status(linkId) {
      return toStatus(await find(linkId));
    },

    async approve(device, linkId, signature) {
      const link = await find(linkId);
      const invalid = () => new VollyError("VOLLY_E_LINK_INVALID", undefined, { linkId });
      if (link.creatorDeviceId !== device.deviceId) throw invalid();
      if (link.status === "declined") throw declined(linkId);
      if (expired(link)) throw new VollyError("VOLLY_E_LINK_EXPIRED", undefined, { linkId });
      if (link.status !== "claimed" || link.claimedKey === undefined) throw invalid();
      const creator = await store.devices.findById(device.deviceId);
      const key = link.claimedKey;
      if (
        !creator ||
        !verifySignature(
          creator.signaturePublicKey,
          signingInput.linkApprove(link.accountId, linkId, key),
          signature,
        )
      ) {
        throw new VollyError("VOLLY_E_BAD_SIGNATURE");
      }
      const deviceId = newId();
      try {
        await store.transaction(async (tx) => {
          if (await tx.devices.findBySignatureKey(key)) throw new VollyError("VOLLY_E_KEY_TAKEN");
          if (!(await tx.deviceLinks.approve(linkId, deviceId))) {
            // Declined (or approved) concurrently.
            throw (await tx.deviceLinks.find(linkId))?.status === "declined" ? declined(linkId) : invalid();
          }
          await tx.devices.insert({
            id: deviceId,
            accountId: link.accountId,
            signaturePublicKey: key,
            name: link.claimedName ?? "linked device",
            createdAt: now(),
          });
        });
      } catch (error) {
        if (error instanceof StoreConflict) throw new VollyError("VOLLY_E_KEY_TAKEN");
        throw error;
      }
      return { deviceId };
    },

    async decline(device, linkId) {
      const link = await find(linkId);
      const invalid = () => new VollyError("VOLLY_E_LINK_INVALID", undefined, { linkId });
      if (link.creatorDeviceId !== device.deviceId) throw invalid();
      if (link.status === "declined") return toStatus(link);
      if (expired(link)) throw new VollyError("VOLLY_E_LINK_EXPIRED", undefined, { linkId });
      if (link.status !== "claimed") throw invalid();
      if (!(await store.deviceLinks.decline(linkId, now()))) {
        // Approved, declined or expired meanwhile.
        const current = await find(linkId);
        if (current.status === "declined") return toStatus(current);
        if (expired(current)) throw new VollyError("VOLLY_E_LINK_EXPIRED", undefined, { linkId });
        throw invalid();
      }
      return toStatus(await find(linkId));
    },
  };
}
