import type { AuditLogEntry, CommunityResponse } from "../worker/rpc-types.js";

/** What each audit log action says, before the name of what it acted on. */
const VERBS: Record<AuditLogEntry["action"], string> = {
  "community.update": "updated the community",
  "community.transfer": "transferred ownership to",
  "channel.create": "created the channel",
  "channel.update": "updated the channel",
  "channel.delete": "deleted a channel",
  "overwrite.set": "changed permissions in",
  "overwrite.delete": "removed permissions in",
  "role.create": "created the role",
  "role.update": "updated the role",
  "role.delete": "deleted a role",
  "member.role_add": "gave a role to",
  "member.role_remove": "took a role from",
  "member.kick": "kicked",
  "member.ban": "banned",
  "member.unban": "unbanned",
  "member.timeout": "timed out",
  "invite.create": "created an invite",
  "invite.delete": "revoked an invite",
  "message.delete": "deleted a message in",
};

/** The name of a member, role or channel of the community by id, if it still has one. */
function nameOf(community: CommunityResponse, id: string | undefined): string | undefined {
  if (!id) return undefined;
  const member = community.members.find((m) => m.accountId === id);
  if (member) return member.displayName || `@${member.handle}`;
  const role = community.roles.find((r) => r.roleId === id);
  if (role) return role.name;
  const channel = community.channels.find((c) => c.channelId === id);
  return channel ? `#${channel.name}` : undefined;
}

/** An audit log entry as a sentence: "Ada Lovelace kicked Bob Stone". */
export function auditText(community: CommunityResponse, entry: AuditLogEntry): string {
  const actor = nameOf(community, entry.actorAccountId) ?? "A former member";
  const target = entry.action.startsWith("invite.") ? undefined : nameOf(community, entry.targetId);
  const verb = VERBS[entry.action] ?? entry.action;
  return target ? `${actor} ${verb} ${target}` : `${actor} ${verb}`;
}
