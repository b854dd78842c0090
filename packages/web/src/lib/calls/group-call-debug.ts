/**
 * The group call's debug handle (`window.__vollyGroupCall`, debug flag only, see `call-debug.ts`):
 * what the e2e tests read of the current call's media — its links, their connections, the
 * frame-crypto counts, the sealing epoch — and the hook that forces one link's ICE restart.
 */
import { exposeGroupCallDebug } from "./call-debug.js";
import type { GroupCallMedia } from "./group-call-media.js";

/**
 * Puts the debug handle on `window` when the debug flag is set.
 * @param current the current call's media (undefined without a call) and its participants (names)
 */
export function exposeGroupCallMedia(
  current: () => { media: GroupCallMedia | undefined; participants: { deviceId: string; name: string }[] },
): void {
  const media = () => current().media;
  const nameOf = (deviceId: string) =>
    current().participants.find((p) => p.deviceId === deviceId)?.name ?? "";
  exposeGroupCallDebug({
    peers: () => (media()?.mesh.deviceIds() ?? []).map((deviceId) => ({ deviceId, name: nameOf(deviceId) })),
    pc: (deviceId) => media()?.mesh.peer(deviceId)?.link.pc,
    frameStats: async () => media()?.encryption.stats(),
    epoch: () => media()?.currentEpoch,
    restartIce: async (deviceId) => media()?.mesh.restartIce(deviceId),
    iceRestarts: (deviceId) => media()?.mesh.peer(deviceId)?.ice.restartCount ?? 0,
  });
}
