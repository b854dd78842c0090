import { type Static, Type } from "@sinclair/typebox";
import { Base64Url, Handle, Id, PublicKey, SignatureB64, Timestamp } from "./common.js";

/**
 * Account recovery by recovery key (DESIGN.md "recovery is by a linked device or a recovery key"):
 * 1. at account creation (or later, for an older account) a device generates a recovery key that
 *    only the user keeps, derives an Ed25519 key from it (`recoveryIdentity` in @volly/crypto) and
 *    registers its public key (PUT /v1/account/recovery-key, signed by that key), then uploads the
 *    account backup — the account's Yjs document sealed under a key derived from the recovery key —
 *    and refreshes it when it changes (PUT /v1/account/backup);
 * 2. with every device lost, a new device asks for a nonce (POST /v1/recovery/challenge) and
 *    restores (POST /v1/recovery) with signatures by the recovery key and by its new key over
 *    `signingInput.recover(accountId, nonce, newKey)`: the server registers the new device, revokes
 *    every other device of the account and lets the new device rejoin, by external commit, each
 *    group one of them was in. Failed attempts are counted per account and slowed down.
 */
export const SetRecoveryKeyBody = Type.Object(
  {
    recoveryPublicKey: PublicKey,
    signature: Type.String({
      pattern: SignatureB64.pattern,
      description: "by the recovery key over signingInput.recoveryKey(accountId, recoveryPublicKey)",
    }),
  },
  { additionalProperties: false },
);
export type SetRecoveryKeyBody = Static<typeof SetRecoveryKeyBody>;

/** Whether the account has a recovery key, and when its backup was last stored. */
export const RecoveryStatusResponse = Type.Object({
  configured: Type.Boolean(),
  createdAt: Type.Optional(Timestamp),
  backupUpdatedAt: Type.Optional(Timestamp),
});
export type RecoveryStatusResponse = Static<typeof RecoveryStatusResponse>;

/** Largest sealed account backup (base64url characters of nonce ‖ ciphertext ‖ tag): 1 MiB of text. */
export const MAX_ACCOUNT_BACKUP_CHARS = 1024 * 1024;

export const AccountBackupBody = Type.Object(
  {
    backup: Base64Url(
      MAX_ACCOUNT_BACKUP_CHARS,
      "the account document sealed with XChaCha20-Poly1305 under a key derived from the recovery key",
    ),
  },
  { additionalProperties: false },
);
export type AccountBackupBody = Static<typeof AccountBackupBody>;

export const AccountBackupResponse = Type.Object({
  backup: Base64Url(MAX_ACCOUNT_BACKUP_CHARS),
  updatedAt: Timestamp,
});
export type AccountBackupResponse = Static<typeof AccountBackupResponse>;

export const RecoveryChallengeBody = Type.Object({ handle: Handle }, { additionalProperties: false });
export type RecoveryChallengeBody = Static<typeof RecoveryChallengeBody>;

export const RecoveryChallengeResponse = Type.Object({ accountId: Id, nonce: Id, expiresAt: Timestamp });
export type RecoveryChallengeResponse = Static<typeof RecoveryChallengeResponse>;

export const RecoverAccountBody = Type.Object(
  {
    handle: Handle,
    nonce: Id,
    device: Type.Object(
      { signaturePublicKey: PublicKey, name: Type.String({ minLength: 1, maxLength: 64 }) },
      { additionalProperties: false },
    ),
    recoverySignature: Type.String({
      pattern: SignatureB64.pattern,
      description: "by the recovery key over signingInput.recover(accountId, nonce, device key)",
    }),
    deviceSignature: Type.String({
      pattern: SignatureB64.pattern,
      description: "by the new device's key over signingInput.recover(accountId, nonce, device key)",
    }),
  },
  { additionalProperties: false },
);
export type RecoverAccountBody = Static<typeof RecoverAccountBody>;

export const RecoverAccountResponse = Type.Object({
  accountId: Id,
  deviceId: Id,
  handle: Handle,
  revokedDeviceIds: Type.Array(Id),
});
export type RecoverAccountResponse = Static<typeof RecoverAccountResponse>;

/** The groups a restored device may still join by external commit (those its lost devices were in). */
export const RecoveryRejoinsResponse = Type.Object({ groupIds: Type.Array(Id) });
export type RecoveryRejoinsResponse = Static<typeof RecoveryRejoinsResponse>;
