import {
  type AccountBackupResponse,
  type EntityType,
  LIMITS,
  newId,
  type RecoverAccountBody,
  type RecoverAccountResponse,
  type RecoveryChallengeResponse,
  type RecoveryRejoinsResponse,
  type RecoveryStatusResponse,
  type SetRecoveryKeyBody,
  signingInput,
  VollyError,
} from "@volly/protocol";
import { StoreConflict } from "../store/store-conflict.js";
import type { AccountRecoveryRecord } from "../store/types.js";
import type { AuthContext, ServiceContext } from "./context.js";
import type { DeviceRevocationService } from "./device-revocation.js";
import { verifySignature } from "./signatures.js";

/**
 * Failed restores of one account allowed without waiting; after them each attempt must wait
 * 2^(failures − free) minutes after the previous failure, at most `maxDelayMs` (a day). A
 * recovery key has 256 bits, so this is about a server's resources and the account's devices (a
 * successful restore revokes them), not about guessing.
 */
export const RECOVERY_BACKOFF = { freeFailures: 5, stepMs: 60_000, maxDelayMs: 24 * 60 * 60 * 1000 } as const;

/** How long after the last failure the next restore attempt may come (ms); 0 when at once. */
export function recoveryRetryDelayMs(failures: number): number {
  if (failures < RECOVERY_BACKOFF.freeFailures) return 0;
  return Math.min(
    RECOVERY_BACKOFF.maxDelayMs,
    RECOVERY_BACKOFF.stepMs * 2 ** (failures - RECOVERY_BACKOFF.freeFailures),
  );
}

/** Account recovery by recovery key (see `recovery.ts` in @volly/protocol). */
export interface AccountRecoveryService {
  /** Whether the caller's account has a recovery key and when its backup was stored. */
  status(caller: AuthContext): Promise<RecoveryStatusResponse>;
  /**
   * Registers (or replaces) the account's recovery public key. The signature must verify over
   * `signingInput.recoveryKey(accountId, key)` with that key. Replacing a key drops its backup.
   * @throws VOLLY_E_BAD_SIGNATURE
   */
  setKey(caller: AuthContext, body: SetRecoveryKeyBody): Promise<RecoveryStatusResponse>;
  /**
   * Stores the account's sealed backup (opaque bytes, bounded by the route's schema).
   * @throws VOLLY_E_RECOVERY_FAILED (no recovery key set up)
   */
  putBackup(caller: AuthContext, backup: string): Promise<RecoveryStatusResponse>;
  /** The stored backup. @throws VOLLY_E_NO_BACKUP */
  getBackup(caller: AuthContext): Promise<AccountBackupResponse>;
  /**
   * Issues a restore nonce for the account of `handle`, valid LIMITS.nonceTtlMs, replacing any
   * previous one.
   * @throws VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_RECOVERY_FAILED (no recovery key), VOLLY_E_RATE_LIMITED
   *   (details.retryAfterMs: too many failed attempts)
   */
  challenge(handle: string): Promise<RecoveryChallengeResponse>;
  /**
   * Restores the account: both signatures must verify over `signingInput.recover(accountId, nonce,
   * key)` — by the recovery key and by the new device's key — and the nonce must be the pending,
   * unexpired one (it is used up either way). Registers the new device, lets it join by external
   * commit every group one of the account's other active devices is a member of, then revokes
   * those devices (`DeviceRevocationService.revoke`: sessions end, they leave their groups).
   *
   * @throws VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_RECOVERY_FAILED (no recovery key, a wrong signature, an
   *   unknown, used or expired nonce: counted as a failed attempt), VOLLY_E_RATE_LIMITED
   *   (details.retryAfterMs), VOLLY_E_KEY_TAKEN
   */
  recover(body: RecoverAccountBody): Promise<RecoverAccountResponse>;
  /** The groups the caller (a restored device) may still join by external commit. */
  rejoins(caller: AuthContext): Promise<RecoveryRejoinsResponse>;
}

/** Builds the {@link AccountRecoveryService}. */
export function createAccountRecoveryService(
  { store, now }: ServiceContext,
  revocation: DeviceRevocationService,
): AccountRecoveryService {
  const statusOf = (row: AccountRecoveryRecord | undefined): RecoveryStatusResponse =>
    row
      ? {
          configured: true,
          createdAt: row.createdAt,
          ...(row.backupUpdatedAt !== undefined ? { backupUpdatedAt: row.backupUpdatedAt } : {}),
        }
      : { configured: false };
  const failed = () => new VollyError("VOLLY_E_RECOVERY_FAILED");
  const checkBackoff = (row: AccountRecoveryRecord, at: number) => {
    const delay = recoveryRetryDelayMs(row.failures);
    const wait = Math.min(delay, (row.lastFailureAt ?? 0) + delay - at);
    if (wait > 0) {
      throw new VollyError("VOLLY_E_RATE_LIMITED", "Too many failed restores; try again later.", {
        retryAfterMs: wait,
      });
    }
  };
  const findAccount = async (handle: string) => {
    const account = await store.accounts.findByHandle(handle);
    if (!account) throw new VollyError("VOLLY_E_UNKNOWN_HANDLE", undefined, { handle });
    return account;
  };

  return {
    async status(caller) {
      return statusOf(await store.accountRecovery.get(caller.accountId));
    },

    async setKey(caller, body) {
      const key = body.recoveryPublicKey;
      if (!verifySignature(key, signingInput.recoveryKey(caller.accountId, key), body.signature)) {
        throw new VollyError("VOLLY_E_BAD_SIGNATURE");
      }
      await store.accountRecovery.putKey(caller.accountId, key, now());
      return statusOf(await store.accountRecovery.get(caller.accountId));
    },

    async putBackup(caller, backup) {
      if (!(await store.accountRecovery.putBackup(caller.accountId, backup, now()))) {
        throw new VollyError("VOLLY_E_RECOVERY_FAILED", "Set up a recovery key before storing a backup.");
      }
      return statusOf(await store.accountRecovery.get(caller.accountId));
    },

    async getBackup(caller) {
      const row = await store.accountRecovery.get(caller.accountId);
      if (row?.backup === undefined) throw new VollyError("VOLLY_E_NO_BACKUP");
      return { backup: row.backup, updatedAt: row.backupUpdatedAt ?? row.createdAt };
    },

    async challenge(handle) {
      const account = await findAccount(handle);
      const row = await store.accountRecovery.get(account.id);
      if (!row) throw failed();
      const at = now();
      checkBackoff(row, at);
      const nonce = newId();
      const expiresAt = at + LIMITS.nonceTtlMs;
      await store.accountRecovery.putNonce(account.id, nonce, expiresAt);
      return { accountId: account.id, nonce, expiresAt };
    },

    async recover(body) {
      const account = await findAccount(body.handle);
      const row = await store.accountRecovery.get(account.id);
      if (!row) throw failed();
      const at = now();
      checkBackoff(row, at);
      const key = body.device.signaturePublicKey;
      const input = signingInput.recover(account.id, body.nonce, key);
      if (
        !verifySignature(row.publicKey, input, body.recoverySignature) ||
        !verifySignature(key, input, body.deviceSignature) ||
        !(await store.accountRecovery.consumeNonce(account.id, body.nonce, at))
      ) {
        await store.accountRecovery.recordFailure(account.id, at);
        throw failed();
      }
      const deviceId = newId();
      let lost: string[] = [];
      try {
        lost = await store.transaction(async (tx) => {
          if (await tx.devices.findBySignatureKey(key)) throw new VollyError("VOLLY_E_KEY_TAKEN");
          const active = (await tx.devices.listByAccount(account.id)).filter(
            (d) => d.revokedAt === undefined,
          );
          const groups = new Set<string>();
          for (const device of active) {
            for (const membership of await tx.groups.listMemberships(device.id)) {
              if (membership.leftSeq === null) groups.add(membership.groupId);
            }
          }
          await tx.devices.insert({
            id: deviceId,
            accountId: account.id,
            signaturePublicKey: key,
            name: body.device.name,
            createdAt: at,
          });
          await tx.accountRecovery.grantRejoins(deviceId, [...groups], at);
          await tx.accountRecovery.resetFailures(account.id);
          return active.map((d) => d.id);
        });
      } catch (error) {
        if (error instanceof StoreConflict) throw new VollyError("VOLLY_E_KEY_TAKEN");
        throw error;
      }
      const caller = {
        accountId: account.id,
        deviceId,
        handle: account.handle,
        entityType: account.entityType as EntityType,
      };
      for (const id of lost) await revocation.revoke(caller, id);
      return { accountId: account.id, deviceId, handle: account.handle, revokedDeviceIds: lost };
    },

    async rejoins(caller) {
      return { groupIds: await store.accountRecovery.listRejoins(caller.deviceId) };
    },
  };
}
