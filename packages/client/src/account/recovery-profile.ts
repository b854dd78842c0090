import {
  accountBackupKey,
  DEFAULT_CIPHERSUITE,
  generateIdentity,
  type KdfParams,
  openAccountBackup,
  parseRecoveryKey,
  recoveryIdentity,
  sign,
  validatePin,
} from "@volly/crypto";
import { type EntityType, fromBase64Url, signingInput, toBase64Url, VollyError } from "@volly/protocol";
import type { ClientStore } from "../storage/client-store.js";
import { KEYSTORE_KEY } from "../storage/store-keys.js";
import { HttpApi } from "../transport/http-api.js";
import type { ProfileRecord } from "./account-records.js";
import { profileStores, sealProfile, serverOrigins, type UnlockedProfile } from "./profile.js";

/** What {@link recoverProfile} needs. */
export interface RecoverProfileOptions {
  /** Where the new profile is sealed (`openProfileStore` in Node, an `IndexedDbClientStore`); empty. */
  store: ClientStore;
  /** The server's URL (or the URLs of one deployment's nodes, the preferred one first). */
  serverUrl: string | readonly string[];
  /** The account's handle, without `@`. */
  handle: string;
  /** The recovery key as the user wrote it down (case, spaces and dashes do not matter). */
  recoveryKey: string;
  /** The PIN sealing the profile on this device: 6 digits (never sent anywhere). */
  pin: string;
  /** This device's name, shown in the account's device list. Default "restored". */
  deviceName?: string;
  /** This device's MLS ciphersuite (RFC 9420 §17.1 name). Default `DEFAULT_CIPHERSUITE`. */
  ciphersuite?: string;
  /** Argon2id cost override (tests). */
  kdf?: Partial<Omit<KdfParams, "alg" | "salt">>;
}

/** What {@link recoverProfile} returns. */
export interface RecoveredProfile {
  /** The new device's unlocked profile: open a client on it, upload key packages, then `client.recovery.rejoin()`. */
  unlocked: UnlockedProfile;
  /** The account's devices the server revoked (every device but this one). */
  revokedDeviceIds: string[];
  /** Whether the account backup (contacts, conversation list, settings) was found and restored. */
  backupRestored: boolean;
}

/**
 * Restores an account whose every device is lost, with its recovery key (see `recovery.ts` in
 * @volly/protocol): derives the recovery signature key (`recoveryIdentity`), generates this
 * device's identity, asks the server for a nonce and restores with both signatures over
 * `signingInput.recover(accountId, nonce, key)` — the server registers this device and revokes
 * every other one — then seals the profile, fetches the sealed account backup and, when it opens,
 * stores it as this device's account document (kept with the backup's key, so this device goes on
 * refreshing the backup). Conversations are rejoined by `client.recovery.rejoin()` once a client
 * is open.
 *
 * @throws VollyError VOLLY_E_PIN_INVALID, VOLLY_E_RECOVERY_KEY_INVALID (not a recovery key),
 *   VOLLY_E_PROFILE_EXISTS, VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_RECOVERY_FAILED (wrong key, or the account
 *   has no recovery key), VOLLY_E_RATE_LIMITED (details.retryAfterMs: too many failed attempts),
 *   VOLLY_E_SERVER_UNREACHABLE
 */
export async function recoverProfile(options: RecoverProfileOptions): Promise<RecoveredProfile> {
  validatePin(options.pin);
  const secret = parseRecoveryKey(options.recoveryKey);
  if (await options.store.get(KEYSTORE_KEY)) throw new VollyError("VOLLY_E_PROFILE_EXISTS");
  const serverUrls = serverOrigins(options.serverUrl);
  const handle = options.handle.trim().replace(/^@/, "");
  const recovery = recoveryIdentity(secret);
  const identity = generateIdentity();
  const key = toBase64Url(identity.signaturePublicKey);
  const anonymous = new HttpApi(serverUrls);
  const { accountId, nonce } = await anonymous.call("recoveryChallenge", { body: { handle } });
  const input = signingInput.recover(accountId, nonce, key);
  const restored = await anonymous.call("recoverAccount", {
    body: {
      handle,
      nonce,
      device: { signaturePublicKey: key, name: options.deviceName ?? "restored" },
      recoverySignature: toBase64Url(sign(recovery.signaturePrivateKey, input)),
      deviceSignature: toBase64Url(sign(identity.signaturePrivateKey, input)),
    },
  });
  const account = await anonymous.call("getAccount", { params: { handle: restored.handle } });
  const profile: ProfileRecord = {
    serverUrl: serverUrls[0] ?? "",
    ...(serverUrls.length > 1 ? { serverUrls } : {}),
    accountId: restored.accountId,
    deviceId: restored.deviceId,
    handle: restored.handle,
    entityType: account.entityType as EntityType,
    ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
    ciphersuite: options.ciphersuite ?? DEFAULT_CIPHERSUITE,
    signaturePublicKey: key,
    signaturePrivateKey: toBase64Url(identity.signaturePrivateKey),
    createdAt: Date.now(),
  };
  const unlocked = await sealProfile(options.store, options.pin, profile, identity, options.kdf);
  const stores = profileStores(unlocked);
  const backupKey = accountBackupKey(secret);
  const api = new HttpApi(serverUrls, {
    deviceId: restored.deviceId,
    sign: (message) => sign(identity.signaturePrivateKey, message),
  });
  let backupRestored = false;
  try {
    const { backup } = await api.call("getAccountBackup");
    const state = openAccountBackup(backupKey, restored.accountId, fromBase64Url(backup));
    await stores.accountDoc.put(stores.batch(), toBase64Url(state)).commit();
    backupRestored = true;
  } catch (err) {
    // No backup yet (an account that never stored one) or one that does not open: start empty.
    if (
      !(
        err instanceof VollyError &&
        (err.code === "VOLLY_E_NO_BACKUP" || err.code === "VOLLY_E_DECRYPT_FAILED")
      )
    ) {
      throw err;
    }
  }
  await stores.accountBackup.put(stores.batch(), { key: toBase64Url(backupKey) }).commit();
  return { unlocked, revokedDeviceIds: restored.revokedDeviceIds, backupRestored };
}
