import { type Bus, groupChannel } from "../bus/bus.js";
import type { AuthContext, ServiceContext } from "./context.js";
import { findGroupPolicy, type MembershipPolicies } from "./groups/membership-policies.js";

/** Typing notifications: ephemeral, relayed through the bus, never stored and never logged. */
export interface TypingService {
  /**
   * Announces that `device` is typing in `groupId`: publishes a "typing" message (with the server's
   * time as `at`, ms) on the group's bus channel, which gateway sessions of the group's member
   * devices turn into TYPING_START dispatches. Only a device the group's membership policy lets send
   * may (admin policy: a current member). Rate limiting is the caller's (per connection).
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also once the device's membership ended)
   */
  start(device: AuthContext, groupId: string): Promise<void>;
}

/**
 * Builds the {@link TypingService}.
 *
 * @param policies the membership policies groups follow, by name
 */
export function createTypingService(
  { store, bus, now }: ServiceContext,
  policies: MembershipPolicies,
): TypingService {
  return {
    async start(device, groupId) {
      const { group, policy } = await findGroupPolicy(store, policies, groupId);
      await policy.authorizeSend(device.deviceId, group, store);
      publishTyping(bus, groupId, device, now());
    },
  };
}

/**
 * Publishes that `device` is typing in `groupId` on the group's bus channel (for gateway sessions of
 * its member devices on every node); `at` is the server's time (ms).
 */
export function publishTyping(
  bus: Bus,
  groupId: string,
  device: Pick<AuthContext, "accountId" | "handle" | "deviceId">,
  at: number,
): void {
  bus.publish(groupChannel(groupId), {
    type: "typing",
    groupId,
    accountId: device.accountId,
    handle: device.handle,
    deviceId: device.deviceId,
    at,
  });
}
