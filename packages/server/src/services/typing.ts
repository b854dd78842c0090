import { groupChannel } from "../bus/bus.js";
import type { AuthContext, ServiceContext } from "./context.js";
import { requireMember } from "./groups/membership.js";

/** Typing notifications: ephemeral, relayed through the bus, never stored and never logged. */
export interface TypingService {
  /**
   * Announces that `device` is typing in `groupId`: publishes a "typing" message (with the server's
   * time as `at`, ms) on the group's bus channel, which gateway sessions of the group's member
   * devices turn into TYPING_START dispatches. Rate limiting is the caller's (per connection).
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also once the device's membership ended)
   */
  start(device: AuthContext, groupId: string): Promise<void>;
}

/** Builds the {@link TypingService}. */
export function createTypingService({ store, bus, now }: ServiceContext): TypingService {
  return {
    async start(device, groupId) {
      await requireMember(store, device.deviceId, groupId);
      bus.publish(groupChannel(groupId), {
        type: "typing",
        groupId,
        accountId: device.accountId,
        handle: device.handle,
        deviceId: device.deviceId,
        at: now(),
      });
    },
  };
}
