import { VollyError } from "@volly/protocol";

/**
 * Rate limits of key package claims (docs/threat-model.md "Key packages"), counted in the store so
 * every node shares them. Each allows its number per `windowMs`, all at once after an idle window
 * (generic cell rate algorithm), refilling evenly in between.
 */
export interface ClaimLimits {
  /** Length of the window (ms). */
  windowMs: number;
  /** Devices one account may claim packages of per window, for any reason (over it: VOLLY_E_RATE_LIMITED). */
  perClaimer: number;
  /** `first-contact` claims one account may make per window (over it: VOLLY_E_RATE_LIMITED). */
  firstContactPerClaimer: number;
  /** `first-contact` claims of one account's devices per window, by all claimers (over it: VOLLY_E_RATE_LIMITED). */
  firstContactPerTarget: number;
  /**
   * One-time packages of one device handed to other accounts per window; past it claims get the
   * device's last-resort package (RFC 9420 §16.8), so no claimer can drain the pool faster.
   */
  oneTimePerTarget: number;
}

/** Quotas the services enforce. Byte counts are base64url characters (what the store holds). */
export interface ServiceLimits {
  /**
   * Bytes of log entries, Welcomes, ratchet trees and GroupInfos one account may have stored that the
   * server still keeps (0: no limit).
   */
  accountBytes: number;
  /** Bytes one group may hold, whoever stored them (0: no limit). */
  groupBytes: number;
  /** Unclaimed one-time key packages one device may store. */
  keyPackagesPerDevice: number;
  claims: ClaimLimits;
}

/**
 * Defaults: 2 GiB per account and 1 GiB per group — a 1 KiB text message is ~1,680 characters of
 * MLS ciphertext, so a bot posting one every second to a group whose members stay offline for a week
 * stores ~1.02 GB (fits), one every ten seconds ~100 MB; 100 unclaimed
 * key packages per device (the SDK keeps 20); claims: 3,000 devices per account per hour (creating
 * the largest group, 999 devices, three times), 30 first contacts per account and 100 per target
 * account per hour, 10 one-time packages per device per hour.
 */
export const DEFAULT_SERVICE_LIMITS: ServiceLimits = {
  accountBytes: 2 * 1024 ** 3,
  groupBytes: 1024 ** 3,
  keyPackagesPerDevice: 100,
  claims: {
    windowMs: 60 * 60 * 1000,
    perClaimer: 3_000,
    firstContactPerClaimer: 30,
    firstContactPerTarget: 100,
    oneTimePerTarget: 10,
  },
};

/**
 * Refuses a write that took a quota past its limit: VOLLY_E_QUOTA_EXCEEDED with `details.scope`,
 * `details.limit`, `details.used` (bytes stored before this write) and `details.size` (this write's).
 * Nothing when `limit` is 0 (no quota) or the total is within it.
 *
 * @param total the scope's stored bytes including this write
 * @param size this write's bytes
 * @throws VollyError VOLLY_E_QUOTA_EXCEEDED
 */
export function checkQuota(scope: "account" | "group", limit: number, total: number, size: number): void {
  if (limit > 0 && total > limit) {
    throw new VollyError("VOLLY_E_QUOTA_EXCEEDED", undefined, { scope, limit, used: total - size, size });
  }
}
