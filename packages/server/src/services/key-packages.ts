import { inspectKeyPackage, type KeyPackageInfo, loadSuite, type MlsSuite } from "@volly/crypto";
import {
  type ClaimKeyPackagesResponse,
  fromBase64Url,
  type KeyPackageCountResponse,
  type UploadKeyPackagesBody,
  VollyError,
} from "@volly/protocol";
import type { KeyPackageRecord } from "../store/types.js";
import type { ServiceContext } from "./context.js";

/** The key package directory (RFC 9420 §10, §16.8): one-time packages plus one last-resort package. */
export interface KeyPackageService {
  /**
   * Stores one-time key packages and, when given, replaces the device's last-resort package. Every
   * package is parsed and verified first; nothing is stored unless all pass.
   *
   * @param deviceId the authenticated uploading device
   * @returns the device's pool after the upload
   * @throws VOLLY_E_KEY_PACKAGE_INVALID (unparseable, bad signature, or not the configured ciphersuite),
   *   VOLLY_E_KEY_PACKAGE_FOREIGN (leaf key or credential's deviceId is not this device's)
   */
  upload(deviceId: string, body: UploadKeyPackagesBody): Promise<KeyPackageCountResponse>;
  /** Unclaimed one-time packages of the device and whether it has a last-resort one. */
  count(deviceId: string): Promise<KeyPackageCountResponse>;
  /**
   * Claims one package per device, all or nothing, in one transaction: an unclaimed one-time package
   * (marked claimed by `claimerDeviceId`, never handed out again), else the last-resort package (not
   * consumed).
   *
   * @throws VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_NO_KEY_PACKAGE (details.deviceId); on error nothing is claimed
   */
  claim(claimerDeviceId: string, deviceIds: readonly string[]): Promise<ClaimKeyPackagesResponse>;
}

/**
 * Builds the {@link KeyPackageService}.
 *
 * @param ciphersuite the only ciphersuite accepted (RFC 9420 §5.1 name); loaded on first upload
 */
export function createKeyPackageService(
  { store, now }: ServiceContext,
  ciphersuite: string,
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
        if (lastResort) {
          await tx.keyPackages.deleteLastResort(deviceId);
          await tx.keyPackages.insertMany([lastResort]);
        }
        await tx.keyPackages.insertMany(oneTime);
        return tx.keyPackages.count(deviceId);
      });
    },

    count(deviceId) {
      return store.keyPackages.count(deviceId);
    },

    async claim(claimerDeviceId, deviceIds) {
      const claimedAt = now();
      const keyPackages = await store.transaction(async (tx) => {
        const known = await tx.devices.existing(deviceIds);
        const unknown = deviceIds.find((id) => !known.has(id));
        if (unknown !== undefined)
          throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: unknown });
        // Claim in device id order so two concurrent claims (on PostgreSQL, from any nodes) lock the
        // packages' rows in the same order and cannot deadlock; answer in the order asked.
        const order = deviceIds.map((_, i) => i).sort((a, b) => compare(deviceIds[a]!, deviceIds[b]!));
        const claimed: ClaimKeyPackagesResponse["keyPackages"] = new Array(deviceIds.length);
        for (const i of order) {
          const deviceId = deviceIds[i]!;
          const kp =
            (await tx.keyPackages.claimOneTime(deviceId, claimerDeviceId, claimedAt)) ??
            (await tx.keyPackages.findLastResort(deviceId));
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
