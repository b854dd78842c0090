import { groupMembers } from "@volly/crypto";
import type { ClientContext } from "../shared/client-context.js";

/** How long a group's member devices are cached (ms) when no conversation change says otherwise. */
const CACHE_MS = 5_000;

/**
 * Which devices are members of a group, from this device's MLS state (the leaves' credentials, RFC
 * 9420 §7.8): a direct path carries a group's messages only to and through its members. Cached
 * briefly; {@link forget} drops a group's entry when its conversation changes (a commit).
 */
export class MemberDevices {
  private readonly cache = new Map<string, { devices: Set<string>; at: number }>();

  /** @param now clock (ms), for tests */
  constructor(
    private readonly ctx: ClientContext,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `deviceId` is a member of group `groupId` (false for a group this device does not have). */
  async has(groupId: string, deviceId: string): Promise<boolean> {
    return (await this.of(groupId)).has(deviceId);
  }

  /** The member device ids of a group (empty for a group this device does not have or left). */
  async of(groupId: string): Promise<Set<string>> {
    const cached = this.cache.get(groupId);
    if (cached && this.now() - cached.at < CACHE_MS) return cached.devices;
    const devices = new Set<string>();
    const { stores } = this.ctx;
    const conv = await stores.conversations.get(groupId);
    if (conv && !conv.left) {
      try {
        const group = await stores.groupStates.load(groupId);
        for (const m of groupMembers(group)) devices.add(m.credential.deviceId);
      } catch {
        // no stored state: no members known
      }
    }
    this.cache.set(groupId, { devices, at: this.now() });
    return devices;
  }

  /** Drops what is cached of a group (its membership may have changed). */
  forget(groupId: string): void {
    this.cache.delete(groupId);
  }
}
