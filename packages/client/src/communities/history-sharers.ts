import type { GroupMember } from "@volly/crypto";
import {
  type CommunityChannel,
  type CommunityResponse,
  hasPermission,
  memberChannelPermissions,
} from "@volly/protocol";

/** How many member devices, at most, take a turn at sharing a channel's history with newcomers. */
export const HISTORY_SHARERS = 3;
/** How long each sharer waits after the one before it (ms): sharer k starts after k times this. */
export const HISTORY_SHARE_STAGGER_MS = 5_000;
/**
 * A join older than this when a device processes it (ms, by the commit's log time) is not shared
 * by that device: it was offline meanwhile, and a sharer that was online has served the newcomer.
 */
export const HISTORY_SHARE_FRESH_MS = 2 * 60_000;
const DAY_MS = 24 * 3600 * 1000;

/** What one member device is to share with devices that joined a channel. */
export interface SharingTurn {
  /** This device's place among the sharers (0 shares at once, k after k × HISTORY_SHARE_STAGGER_MS). */
  rank: number;
  /** The joined devices that may be given the history (their accounts hold READ_MESSAGE_HISTORY). */
  recipients: string[];
  /** Start of the window the channel's policy allows (epoch ms). */
  since: number;
}

/**
 * Decides whether this device shares a channel's history with devices that just joined its group
 * (DESIGN.md "History for newcomers"), and when. Nothing is shared when the channel's policy is
 * not "last N days", when no joined device's account may read the history (READ_MESSAGE_HISTORY),
 * or when this device is not among the first HISTORY_SHARERS sharers: the member devices that were
 * in the group before, whose accounts may send in the channel (the server refuses the others'
 * messages), in leaf order (RFC 9420 §7.7: the same order on every member). Each member decides by
 * itself from the same data, so the first sharer serves the newcomers at once and the next ones
 * only if it did not (see `ChannelHistory`).
 *
 * @param community the community as this account sees it (roles, members)
 * @param channel the channel (its policy and overwrites)
 * @param joined the devices added and the group's leaves after the commit
 * @param deviceId this device's id
 * @param now the current time (epoch ms)
 * @returns this device's turn, or undefined when it does not share
 */
export function sharingTurn(
  community: CommunityResponse,
  channel: CommunityChannel,
  joined: { added: readonly GroupMember[]; members: readonly GroupMember[] },
  deviceId: string,
  now: number,
): SharingTurn | undefined {
  const policy = channel.historyPolicy;
  if (policy.kind !== "days") return undefined;
  const permissions = new Map<string, number>();
  const may = (accountId: string, name: "READ_MESSAGE_HISTORY" | "SEND_MESSAGES"): boolean => {
    let bits = permissions.get(accountId);
    if (bits === undefined) {
      bits = memberChannelPermissions(community, channel, accountId, now);
      permissions.set(accountId, bits);
    }
    return hasPermission(bits, name);
  };
  const recipients = joined.added
    .filter((m) => may(m.credential.accountId, "READ_MESSAGE_HISTORY"))
    .map((m) => m.credential.deviceId);
  if (recipients.length === 0) return undefined;
  const added = new Set(joined.added.map((m) => m.credential.deviceId));
  const sharers = joined.members
    .filter((m) => !added.has(m.credential.deviceId) && may(m.credential.accountId, "SEND_MESSAGES"))
    .sort((a, b) => a.leafIndex - b.leafIndex);
  const rank = sharers.findIndex((m) => m.credential.deviceId === deviceId);
  if (rank < 0 || rank >= HISTORY_SHARERS) return undefined;
  return { rank, recipients, since: now - policy.days * DAY_MS };
}
