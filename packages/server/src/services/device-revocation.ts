import { type RevokeDeviceResponse, VollyError } from "@volly/protocol";
import { deviceChannel } from "../bus/bus.js";
import type { AuthContext, ServiceContext } from "./context.js";
import type { DepartureRecorder } from "./delivery/departures.js";

/** Revoking a device of one's own account (authentication service + delivery service). */
export interface DeviceRevocationService {
  /**
   * Revokes `deviceId`, a device of the caller's account (possibly the caller itself). In order:
   * marks it revoked (challenge, session and IDENTIFY/RESUME then fail with VOLLY_E_DEVICE_REVOKED;
   * it leaves the directory), deletes its REST sessions, nonces and unclaimed key packages, leaves
   * every group it is a member of (one `departure` entry each, as `DeliveryService.leave`: a
   * remaining member commits the MLS Remove, RFC 9420 §12.1.3), and closes its live gateway
   * connections (bus "device-revoked" → close 4010). Revoking a device already revoked changes
   * nothing and reports 0 departures.
   *
   * @throws VOLLY_E_UNKNOWN_DEVICE (no such device, or another account's — not revealed which)
   */
  revoke(caller: AuthContext, deviceId: string): Promise<RevokeDeviceResponse>;
}

/** Builds the {@link DeviceRevocationService} over the delivery service's leave logic. */
export function createDeviceRevocationService(
  { store, bus, now }: ServiceContext,
  delivery: DepartureRecorder,
): DeviceRevocationService {
  return {
    async revoke(caller, deviceId) {
      const device = await store.devices.findById(deviceId);
      if (!device || device.accountId !== caller.accountId) {
        throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
      }
      const changed = await store.transaction(async (tx) => {
        if (!(await tx.devices.revoke(deviceId, now()))) return false;
        await tx.auth.deleteForDevice(deviceId);
        await tx.keyPackages.deleteUnclaimed(deviceId);
        return true;
      });
      if (!changed) return { deviceId, departures: 0 };
      let departures = 0;
      for (const membership of await store.groups.listMemberships(deviceId)) {
        if (membership.leftSeq !== null) continue;
        try {
          await delivery.leave(deviceId, membership.groupId);
          departures++;
        } catch (error) {
          // Removed by a concurrent commit meanwhile: nothing left to do for that group.
          if (!(error instanceof VollyError && error.code === "VOLLY_E_NOT_GROUP_MEMBER")) throw error;
        }
      }
      bus.publish(deviceChannel(deviceId), { type: "device-revoked", deviceId });
      return { deviceId, departures };
    },
  };
}
