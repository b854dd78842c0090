import type { VollyClient } from "@volly/client";
import {
  type CommunityChannel,
  type CommunityResponse,
  parsePermissions,
  permissionNamesOf,
  VollyError,
} from "@volly/protocol";
import type { Command } from "commander";
import { findChannel, findRole, idArg, memberArg, permissionsArg } from "../community-args.js";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** Options of `volly channel allow|deny`. */
interface TargetOptions {
  role?: string;
  member?: string;
}

/**
 * `volly channel allow|deny CHANNEL (--role ROLE | --member @handle) PERMISSION[,PERMISSION…]`:
 * changes one role's or member's permission overwrite in a channel (MANAGE_ROLES). `allow` adds the
 * permissions to the overwrite's allowed set and takes them out of its denied set; `deny` the
 * reverse; the overwrite's other permissions stay as they were.
 */
export function registerChannelPermissions(channel: Command, run: Run) {
  for (const verb of ["allow", "deny"] as const) {
    channel
      .command(verb)
      .description(`${verb} permissions in a channel to a role or a member (MANAGE_ROLES)`)
      .argument("<channel>", "channel id")
      .argument("<permissions>", "e.g. VIEW_CHANNEL,SEND_MESSAGES")
      .option("--role <role>", "role id or name (@everyone included)")
      .option("--member <handle>", "@handle of a member")
      .action((id: string, permissions: string, o: TargetOptions) =>
        run(async (out, g) => {
          const channelId = idArg("channel", id);
          const names = permissionsArg(permissions);
          if ((o.role === undefined) === (o.member === undefined)) {
            throw new VollyError("VOLLY_E_USAGE", "Give exactly one of --role ROLE or --member @handle.");
          }
          const member = o.member === undefined ? undefined : memberArg(o.member);
          const updated = await withClient(g, async (c) => {
            const { community, channel: ch } = await findChannel(c, channelId);
            const target = member
              ? { type: "member" as const, id: await accountIdOf(c, community, member) }
              : { type: "role" as const, id: findRole(community, o.role as string) };
            const { allow, deny } = merged(ch, target.id, names, verb);
            const ref = target.type === "role" ? { roleId: target.id } : { member: target.id };
            return c.communities.setOverwrite(channelId, ref, allow, deny);
          });
          const who = member ?? o.role;
          out.result(
            { channelId, verb, target: who, permissions: names, overwrites: updated.overwrites },
            `${verb === "allow" ? "allowed" : "denied"} ${names.join(",")} to ${who} in #${updated.name}`,
          );
        }),
      );
  }
}

/** The overwrite's allow and deny sets after allowing or denying `names`. */
function merged(
  channel: CommunityChannel,
  targetId: string,
  names: readonly string[],
  verb: "allow" | "deny",
): { allow: string[]; deny: string[] } {
  const existing = channel.overwrites.find((w) => w.id === targetId);
  const allow = new Set<string>(existing ? permissionNamesOf(parsePermissions(existing.allow)) : []);
  const deny = new Set<string>(existing ? permissionNamesOf(parsePermissions(existing.deny)) : []);
  for (const n of names) {
    (verb === "allow" ? allow : deny).add(n);
    (verb === "allow" ? deny : allow).delete(n);
  }
  return { allow: [...allow], deny: [...deny] };
}

/** A member's account id: from the community's member list, else the directory. */
async function accountIdOf(
  client: VollyClient,
  community: CommunityResponse,
  member: string,
): Promise<string> {
  const handle = member.slice(1);
  const found = community.members.find((m) => m.handle === handle);
  return found ? found.accountId : (await client.lookup(handle)).accountId;
}
