import {
  DEFAULT_CIPHERSUITE,
  fingerprint,
  generateIdentity,
  type KdfParams,
  linkProof,
  parseLinkCode,
  sign,
  validatePin,
} from "@volly/crypto";
import { type EntityType, signingInput, toBase64Url, VollyError } from "@volly/protocol";
import type { ClientStore } from "../storage/client-store.js";
import { KEYSTORE_KEY } from "../storage/store-keys.js";
import { HttpApi } from "../transport/http-api.js";
import type { ProfileRecord } from "./account-records.js";
import { sealProfile, serverOrigins, type UnlockedProfile } from "./profile.js";

/** This device's claim of a link, as {@link LinkProfileOptions.onClaimed} is told it. */
export interface LinkClaim {
  /** The id of the link this device claimed. */
  linkId: string;
  /** This device's new Ed25519 signature public key (base64url). */
  signaturePublicKey: string;
  /**
   * The key's SHA-256 fingerprint (`fingerprint` from @volly/crypto, base64url, 43 characters): the
   * same string the approving device shows, so the user can compare the two before approving.
   */
  fingerprint: string;
}

/** What {@link linkProfile} needs. */
export interface LinkProfileOptions {
  /** Where the profile is sealed (`openProfileStore` in Node, an `IndexedDbClientStore`); empty. */
  store: ClientStore;
  /** The pairing code shown by the existing device: `volly-link:<server origin>/<linkId>.<secret>`. */
  code: string;
  /** The PIN sealing the profile on this device: 6 digits (never sent anywhere). */
  pin: string;
  /**
   * The URLs of the deployment's nodes to use and keep in the profile, the preferred one first;
   * they must include the code's server. Default: the code's server alone.
   */
  serverUrls?: readonly string[];
  /** This device's name, shown in the account's device list. Default "cli". */
  deviceName?: string;
  /** This device's MLS ciphersuite (RFC 9420 §17.1 name). Default: @volly/crypto's `DEFAULT_CIPHERSUITE`. */
  ciphersuite?: string;
  /** How often to poll the link's status while waiting for approval (ms). Default 1,000. */
  pollIntervalMs?: number;
  /**
   * Called once the server accepted the claim, before waiting for approval: show
   * `claim.fingerprint` so the user can check that the approving device shows the same. An error it
   * throws ends `linkProfile` with that error (the link stays claimed).
   */
  onClaimed?: (claim: LinkClaim) => void;
  /** Argon2id cost override (tests). */
  kdf?: Partial<Omit<KdfParams, "alg" | "salt">>;
}

/**
 * The new-device side of device linking (see `device-links.ts` in @volly/protocol): parses the
 * pairing code, generates this device's Ed25519 identity (RFC 8032), claims the link with the key,
 * the proof HMAC-SHA256(secret, linkClaim(linkId, key)) and a signature by the key, tells
 * `onClaimed` the key's fingerprint, polls the link until the existing device approved it, then
 * seals the profile (same keystore and record stores as `createProfile`) with the account's id,
 * handle and entity type and the new device id. Upload key packages next (the existing device waits
 * for them to add this device to its conversations).
 *
 * @throws VOLLY_E_PIN_INVALID, VOLLY_E_USAGE (`serverUrls` not URLs or without the code's
 *   server), VOLLY_E_PROFILE_EXISTS, VOLLY_E_LINK_INVALID (malformed code,
 *   unknown or already claimed link), VOLLY_E_LINK_DECLINED (the existing device declined this
 *   claim: at the first poll after it did), VOLLY_E_LINK_EXPIRED (expired before approval),
 *   VOLLY_E_KEY_TAKEN, VOLLY_E_SERVER_UNREACHABLE
 */
export async function linkProfile(options: LinkProfileOptions): Promise<UnlockedProfile> {
  validatePin(options.pin);
  if (await options.store.get(KEYSTORE_KEY)) throw new VollyError("VOLLY_E_PROFILE_EXISTS");
  const { server, linkId, secret } = parseLinkCode(options.code);
  const serverUrls = options.serverUrls ? serverOrigins(options.serverUrls) : [server];
  if (!serverUrls.includes(server)) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `The pairing code is for ${server}, which is not among the server URLs (${serverUrls.join(", ")}).`,
    );
  }
  const identity = generateIdentity();
  const key = toBase64Url(identity.signaturePublicKey);
  const api = new HttpApi(serverUrls);
  let status = await api.call("claimDeviceLink", {
    params: { linkId },
    body: {
      signaturePublicKey: key,
      name: options.deviceName ?? "cli",
      proof: linkProof(secret, linkId, key),
      signature: toBase64Url(sign(identity.signaturePrivateKey, signingInput.linkClaim(linkId, key))),
    },
  });
  options.onClaimed?.({
    linkId,
    signaturePublicKey: key,
    fingerprint: fingerprint(identity.signaturePublicKey),
  });
  const interval = options.pollIntervalMs ?? 1_000;
  while (status.status !== "approved") {
    if (status.status === "expired") throw new VollyError("VOLLY_E_LINK_EXPIRED");
    if (status.status === "declined") {
      throw new VollyError(
        "VOLLY_E_LINK_DECLINED",
        "The existing device declined this device's claim; nothing was linked.",
        { linkId },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
    status = await api.call("getDeviceLink", { params: { linkId } });
  }
  const { deviceId, accountId, handle } = status;
  if (deviceId === undefined || accountId === undefined || handle === undefined) {
    throw new VollyError("VOLLY_E_LINK_INVALID", "The approved link does not name the new device.");
  }
  const account = await api.call("getAccount", { params: { handle } });
  if (
    account.accountId !== accountId ||
    !account.devices.some((d) => d.deviceId === deviceId && d.signaturePublicKey === key)
  ) {
    throw new VollyError(
      "VOLLY_E_LINK_INVALID",
      "The directory does not list this device under the account.",
    );
  }
  const profile: ProfileRecord = {
    serverUrl: serverUrls[0] ?? server,
    ...(serverUrls.length > 1 ? { serverUrls } : {}),
    accountId,
    deviceId,
    handle,
    entityType: account.entityType as EntityType,
    ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
    ciphersuite: options.ciphersuite ?? DEFAULT_CIPHERSUITE,
    signaturePublicKey: key,
    signaturePrivateKey: toBase64Url(identity.signaturePrivateKey),
    createdAt: Date.now(),
  };
  return sealProfile(options.store, options.pin, profile, identity, options.kdf);
}
