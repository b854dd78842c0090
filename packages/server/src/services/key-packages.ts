import { inspectKeyPackage, type KeyPackageInfo, loadSuite, type MlsSuite } from "@volly/crypto";
import {
  type ClaimKeyPackagesBody,
  type ClaimKeyPackagesResponse,
  fromBase64Url,
  type KeyPackageCountResponse,
  type UploadKeyPackagesBody,
  VollyError,
} from "@volly/protocol";
import type { KeyPackageRecord } from "../store/types.js";
import type { ServiceContext } from "./context.js";
import { type Claimer, checkClaimReason, mayTakeOneTime, takeClaimLimits } from "./key-package-claims.js";
import type { ServiceLimits } from "./service-limits.js";

/** The key package directory (RFC 9420 §10, §16.8): one-time packages plus one last-resort package. */
export interface KeyPackageService {
  /**
   * Stores one-time key packages and, when given, replaces the device's last-resort package. Every
   * package is parsed and verified first; nothing is stored unless all pass, and the device may hold
   * at most `keyPackagesPerDevice` unclaimed one-time packages (checked in the upload's transaction,
   * concurrent uploads of the device waiting for each other).
   *
   * @param deviceId the authenticated uploading device
   * @returns the device's pool after the upload
   * @throws VOLLY_E_KEY_PACKAGE_INVALID (unparseable, bad signature, or not the configured ciphersuite),
   *   VOLLY_E_KEY_PACKAGE_FOREIGN (leaf key or credential's deviceId is not this device's),
   *   VOLLY_E_KEY_PACKAGE_LIMIT (details.limit, details.stored: what the pool would hold)
   */
  upload(deviceId: string, body: UploadKeyPackagesBody): Promise<KeyPackageCountResponse>;
  /** Unclaimed one-time packages of the device and whether it has a last-resort one. */
  count(deviceId: string): Promise<KeyPackageCountResponse>;
  /**
   * Claims one package per device, all or nothing, in one transaction: an unclaimed one-time package
   * (marked claimed by the claimer's device, never handed out again), else the last-resort package
   * (not consumed; RFC 9420 §16.8). The claim's `reason` must cover every device not of the claimer's
   * own account (see `checkClaimReason`), and claims are rate-limited in the store, shared by every
   * node: devices per claimer account, first contacts per claimer and per target account
   * (VOLLY_E_RATE_LIMITED past them), and one-time packages per target device handed to other
   * accounts — past that budget the target's last-resort package is handed out instead, so no one can
   * drain a pool faster than it and the device stays reachable.
   *
   * @throws VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_NO_KEY_PACKAGE (details.deviceId),
   *   VOLLY_E_CLAIM_REASON_INVALID, VOLLY_E_INVITE_INVALID, VOLLY_E_INVITE_EXPIRED,
   *   VOLLY_E_RATE_LIMITED (details.scope, details.retryAfterMs); on error nothing is claimed
   */
  claim(claimer: Claimer, body: ClaimKeyPackagesBody): Promise<ClaimKeyPackagesResponse>;
}

/**
 * Builds the {@link KeyPackageService}.
 *
 * @param ciphersuite the only ciphersuite accepted (RFC 9420 §5.1 name); loaded on first upload
 * @param limits the per-device cap and the claim rate limits
 */
export function createKeyPackageService(
  { store, now }: ServiceContext,
  ciphersuite: string,
  limits: Pick<ServiceLimits, "keyPackagesPerDevice" | "claims">,
): KeyPackageService {
  let suite: Promise<MlsSuite> | undefined;
  const getSuite = () => {
    suite ??= loadSuite(ciphersuite).catch((error: unknown) => {
      suite = undefined;
      throw error;
    });
    return suite;
  };

  async function inspect(
    data: string,
    device: { id: string; signaturePublicKey: string },
  ): Promise<KeyPackageInfo> {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64Url(data);
    } catch {
      throw new VollyError("VOLLY_E_KEY_PACKAGE_INVALID", "The key package is not valid base64url.");
    }
    const mls = await getSuite();
    let info: KeyPackageInfo;
    try {
      info = await inspectKeyPackage(mls, bytes);
    } catch (error) {
      if (error instanceof VollyError) throw error;
      throw new VollyError("VOLLY_E_KEY_PACKAGE_INVALID", undefined, undefined);
    }
    if (info.ciphersuite !== ciphersuite) {
      throw new VollyError(
        "VOLLY_E_KEY_PACKAGE_INVALID",
        `This server accepts only ${ciphersuite} key packages.`,
        {
          ciphersuite: info.ciphersuite,
        },
      );
    }
    if (info.signaturePublicKey !== device.signaturePublicKey || info.credential.deviceId !== device.id) {
      throw new VollyError("VOLLY_E_KEY_PACKAGE_FOREIGN");
    }
    return info;
  }

  return {
    async upload(deviceId, body) {
      const device = await store.devices.findById(deviceId);
      if (!device) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
      const createdAt = now();
      const oneTime: KeyPackageRecord[] = [];
      for (const data of body.keyPackages) {
        const info = await inspect(data, device);
        oneTime.push({ ref: info.ref, deviceId, data, lastResort: false, createdAt });
      }
      const lastResort =
        body.lastResort === undefined
          ? undefined
          : {
              ref: (await inspect(body.lastResort, device)).ref,
              deviceId,
              data: body.lastResort,
              lastResort: true,
              createdAt,
            };
      return store.transaction(async (tx) => {
        await tx.keyPackages.lockPool(deviceId);
        if (lastResort) {
          await tx.keyPackages.deleteLastResort(deviceId);
          await tx.keyPackages.insertMany([lastResort]);
        }
        await tx.keyPackages.insertMany(oneTime);
        const pool = await tx.keyPackages.count(deviceId);
        if (pool.available > limits.keyPackagesPerDevice) {
          throw new VollyError("VOLLY_E_KEY_PACKAGE_LIMIT", undefined, {
            limit: limits.keyPackagesPerDevice,
            stored: pool.available,
          });
        }
        return pool;
      });
    },

    count(deviceId) {
      return store.keyPackages.count(deviceId);
    },

    async claim(claimer, { deviceIds, reason }) {
      const claimedAt = now();
      const keyPackages = await store.transaction(async (tx) => {
        const accounts = await tx.devices.accountsOf(deviceIds);
        const unknown = deviceIds.find((id) => !accounts.has(id));
        if (unknown !== undefined)
          throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: unknown });
        const others = new Map([...accounts].filter(([, accountId]) => accountId !== claimer.accountId));
        await checkClaimReason(tx, claimer, reason, others, claimedAt);
        const firstContact = reason.type === "first-contact" ? [...others.values()][0] : undefined;
        await takeClaimLimits(tx, limits.claims, claimer, deviceIds.length, firstContact, claimedAt);
        // Claim in device id order so two concurrent claims (on PostgreSQL, from any nodes) lock the
        // packages' rows in the same order and cannot deadlock; answer in the order asked.
        const order = deviceIds.map((_, i) => i).sort((a, b) => compare(deviceIds[a]!, deviceIds[b]!));
        const claimed: ClaimKeyPackagesResponse["keyPackages"] = new Array(deviceIds.length);
        for (const i of order) {
          const deviceId = deviceIds[i]!;
          // Another account's claims take one-time packages only within the device's budget.
          const oneTimeFirst =
            !others.has(deviceId) || (await mayTakeOneTime(tx, limits.claims, deviceId, claimedAt));
          const oneTime = () => tx.keyPackages.claimOneTime(deviceId, claimer.deviceId, claimedAt);
          const lastResort = () => tx.keyPackages.findLastResort(deviceId);
          const kp = oneTimeFirst
            ? ((await oneTime()) ?? (await lastResort()))
            : ((await lastResort()) ?? (await oneTime()));
          if (!kp) throw new VollyError("VOLLY_E_NO_KEY_PACKAGE", undefined, { deviceId });
          claimed[i] = { deviceId, keyPackage: kp.data, lastResort: kp.lastResort };
        }
        return claimed;
      });
      return { keyPackages };
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
