/**
 * A channel's permission overwrites as the settings edit them (Discord's channel "Permissions"
 * page): per role or member, each permission allowed, denied or inherited. Saving keeps the
 * permissions the editor does not show; an overwrite with nothing left is deleted.
 */
import type { ChannelView, PermissionName } from "../worker/rpc-types.js";
import { sdk } from "./sdk.js";

/** The permissions a channel's overwrite editor shows, in Discord's order. */
export const OVERWRITE_PERMISSIONS = [
  "VIEW_CHANNEL",
  "SEND_MESSAGES",
  "READ_MESSAGE_HISTORY",
  "MANAGE_MESSAGES",
  "ATTACH_FILES",
  "ADD_REACTIONS",
  "MENTION_EVERYONE",
] as const satisfies readonly PermissionName[];

export type OverwriteState = "allow" | "deny" | "inherit";

/** Whose overwrite: a role (the community's id for @everyone) or a member's account. */
export interface OverwriteSubject {
  type: "role" | "member";
  id: string;
}

/** Each permission the subject's overwrite in `channel` allows or denies (absent: inherit). */
export function overwriteStates(
  channel: ChannelView,
  subject: OverwriteSubject,
): Map<PermissionName, OverwriteState> {
  const overwrite = channel.overwrites.find((o) => o.type === subject.type && o.id === subject.id);
  const states = new Map<PermissionName, OverwriteState>();
  for (const name of overwrite?.allowNames ?? []) states.set(name, "allow");
  for (const name of overwrite?.denyNames ?? []) states.set(name, "deny");
  return states;
}

/**
 * Writes the subject's overwrite in a channel (MANAGE_ROLES; the server checks): set when something
 * is allowed or denied, deleted when every permission inherits.
 */
export async function saveOverwrite(
  channel: ChannelView,
  subject: OverwriteSubject,
  states: ReadonlyMap<PermissionName, OverwriteState>,
): Promise<void> {
  const allow = [...states].filter(([, s]) => s === "allow").map(([name]) => name);
  const deny = [...states].filter(([, s]) => s === "deny").map(([name]) => name);
  const target = subject.type === "role" ? { roleId: subject.id } : { member: subject.id };
  const exists = channel.overwrites.some((o) => o.type === subject.type && o.id === subject.id);
  if (allow.length > 0 || deny.length > 0)
    await sdk.communities.setOverwrite(channel.channelId, target, allow, deny);
  else if (exists) await sdk.communities.deleteOverwrite(channel.channelId, target);
}
