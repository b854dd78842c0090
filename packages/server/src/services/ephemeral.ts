import { type SendEphemeralBody, VollyError } from "@volly/protocol";
import { type Bus, groupChannel } from "../bus/bus.js";
import type { AuthContext, ServiceContext } from "./context.js";
import { findGroupPolicy, type MembershipPolicies } from "./groups/membership-policies.js";

/**
 * Ephemeral MLS application messages (call signaling, DESIGN.md "Calls"): relayed through the bus
 * to the group's member devices connected now, on every node, and never stored nor logged — a
 * device that connects later never gets them.
 */
export interface EphemeralService {
  /**
   * Relays an ephemeral message from `device` to `groupId`: publishes an "ephemeral" message on the
   * group's bus channel, which the gateway sessions of the group's other member devices (the
   * sender's own device excluded) turn into EPHEMERAL_MESSAGE dispatches. Only a device the group's
   * membership policy lets send may (admin policy: a current member; a community channel: one
   * allowed to send there). Nothing is written to the store; the ciphertext is never logged. Rate
   * limiting is the caller's (the REST rate limit).
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also once the device's membership
   *   ended), the policy's own refusal (e.g. VOLLY_E_FORBIDDEN), VOLLY_E_BAD_REQUEST (an epoch the
   *   group has not reached, details.currentEpoch)
   */
  relay(device: AuthContext, groupId: string, body: SendEphemeralBody): Promise<void>;
}

/**
 * Builds the {@link EphemeralService}.
 *
 * @param policies the membership policies groups follow, by name
 */
export function createEphemeralService(
  { store, bus }: ServiceContext,
  policies: MembershipPolicies,
): EphemeralService {
  return {
    async relay(device, groupId, body) {
      const { group, policy } = await findGroupPolicy(store, policies, groupId);
      await policy.authorizeSend(device.deviceId, group, store);
      if (body.epoch > group.epoch) {
        throw new VollyError("VOLLY_E_BAD_REQUEST", "The group has not reached that epoch.", {
          currentEpoch: group.epoch,
        });
      }
      publishEphemeral(bus, groupId, device, body);
    },
  };
}

/**
 * Publishes an ephemeral MLS message of `device` on the group's bus channel, for the gateway sessions
 * of the group's other member devices on every node (never stored).
 */
export function publishEphemeral(
  bus: Bus,
  groupId: string,
  device: Pick<AuthContext, "accountId" | "handle" | "deviceId">,
  body: { epoch: number; ciphertext: string },
): void {
  bus.publish(groupChannel(groupId), {
    type: "ephemeral",
    groupId,
    senderDeviceId: device.deviceId,
    senderAccountId: device.accountId,
    senderHandle: device.handle,
    epoch: body.epoch,
    ciphertext: body.ciphertext,
  });
}
