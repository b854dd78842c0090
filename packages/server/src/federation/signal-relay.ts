import { FEDERATION_PREFIX, type FederatedSignal, FederationEmpty, VollyError } from "@volly/protocol";
import type { AuthContext } from "../services/context.js";
import { publishEphemeral } from "../services/ephemeral.js";
import { findGroupPolicy, type MembershipPolicies } from "../services/groups/membership-policies.js";
import { publishTyping } from "../services/typing.js";
import type { FederationContext } from "./federation-context.js";
import type { GroupHubs } from "./group-hubs.js";

/**
 * Typing notices and ephemeral MLS messages (call and direct-path signaling) across servers: never
 * stored, best effort. A local device's signal in a group another server hosts goes to that hub;
 * in a group hosted here, to every follower server. A hub passes a follower's signal on to the
 * other followers. Each server publishes what it receives on its own bus, for its own sessions.
 * The per-server rate limit of the federation API bounds what another server can send.
 */
export interface SignalRelay {
  /** Installs the relay around `services.typing.start` and `services.ephemeral.relay`. */
  install(): void;
  /**
   * A signal from server `origin` for `groupId`: its device must be of `origin` (or of a third server
   * when `origin` hosts the group and passes it on) and allowed to send
   * in the group (this server's copy of the membership); published here, and passed on to the other
   * followers when the group is hosted here.
   * @throws VOLLY_E_FORBIDDEN (a device of another server), VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER
   */
  receive(origin: string, groupId: string, signal: FederatedSignal): Promise<void>;
}

/** Builds the {@link SignalRelay}. */
export function createSignalRelay(
  ctx: FederationContext,
  policies: MembershipPolicies,
  hubOf: GroupHubs["hubOf"],
): SignalRelay {
  const { store, bus, now } = ctx.service;

  const sendTo = (servers: readonly string[], groupId: string, signal: FederatedSignal) => {
    for (const server of servers) {
      ctx.caller
        .request(server, "POST", `${FEDERATION_PREFIX}/groups/${groupId}/signals`, {
          body: signal,
          response: FederationEmpty,
        })
        .catch((error: unknown) =>
          ctx.log.warn(
            { server, groupId, code: (error as VollyError).code },
            "federation: signal not delivered",
          ),
        );
    }
  };

  /** Where a signal of this server's devices in `groupId` goes, other than this server's own bus. */
  const forward = async (groupId: string, signal: FederatedSignal, except?: string) => {
    const hub = await hubOf(groupId);
    if (hub !== undefined) {
      if (hub !== except) sendTo([hub], groupId, signal);
      return;
    }
    const followers = await store.federation.followerServers(groupId);
    sendTo(
      followers.filter((s) => s !== except),
      groupId,
      signal,
    );
  };

  const publish = (device: AuthContext, groupId: string, signal: FederatedSignal) => {
    if (signal.kind === "typing") publishTyping(bus, groupId, device, now());
    else publishEphemeral(bus, groupId, device, signal);
  };

  return {
    install() {
      const { typing, ephemeral } = ctx.services;
      const start = typing.start.bind(typing);
      typing.start = async (device, groupId) => {
        await start(device, groupId);
        void forward(groupId, { kind: "typing", deviceId: device.deviceId }).catch(() => undefined);
      };
      const relay = ephemeral.relay.bind(ephemeral);
      ephemeral.relay = async (device, groupId, body) => {
        await relay(device, groupId, body);
        void forward(groupId, {
          kind: "ephemeral",
          deviceId: device.deviceId,
          epoch: body.epoch,
          ciphertext: body.ciphertext,
        }).catch(() => undefined);
      };
    },

    async receive(origin, groupId, signal) {
      // From the device's own server, or passed on by the group's hub (a third server's device).
      const homes = await store.federation.homesOf([signal.deviceId]);
      const home = homes.get(signal.deviceId);
      if (home === undefined || (home !== origin && (await hubOf(groupId)) !== origin)) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That device is not of the calling server.");
      }
      const device = await store.devices.findById(signal.deviceId);
      if (!device) return;
      const { group, policy } = await findGroupPolicy(store, policies, groupId);
      await policy.authorizeSend(device.id, group, store);
      publish(
        {
          accountId: device.accountId,
          deviceId: device.id,
          handle: device.handle,
          entityType: device.entityType,
        },
        groupId,
        signal,
      );
      if ((await hubOf(groupId)) === undefined) await forward(groupId, signal, origin);
    },
  };
}
