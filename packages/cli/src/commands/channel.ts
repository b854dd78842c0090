import type { VollyClient } from "@volly/client";
import { type CommunityResponse, VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { idArg, nameArg } from "../community-args.js";
import type { Run } from "../output.js";
import { withClient, withSyncedClient } from "../with-client.js";
import { registerChannelPermissions } from "./channel-permissions.js";

/**
 * `volly channel create|delete|allow|deny`: a community's channels. A text channel is a
 * conversation (`volly send CHANNEL …`, `volly receive`); its MLS group is created by the first
 * device that may send there and joined by external commit by every device that may view it.
 */
export function registerChannel(program: Command, run: Run) {
  const channel = program.command("channel").description("create, delete and set permissions of channels");
  channel
    .command("create")
    .description(
      "create a text channel (MANAGE_CHANNELS); prints its id. --category NAME puts it in the category " +
        "of that name, which is created first when the community has none",
    )
    .argument("<community>", "community id")
    .argument("<name>", "the channel's name, without # (the server sees it)")
    .option("--category <name>", "the category to put it in (created if missing)")
    .option("--private", "only roles and members allowed VIEW_CHANNEL (and you) see it")
    .action((id: string, name: string, o: { category?: string; private?: boolean }) =>
      run(async (out, g) => {
        const communityId = idArg("community", id);
        const channelName = nameArg("channel", name.replace(/^#/, ""));
        const category = o.category === undefined ? undefined : nameArg("category", o.category);
        const created = await withSyncedClient(g, async (c) => {
          const parentId = category === undefined ? undefined : await categoryId(c, communityId, category);
          return c.communities.createChannel(communityId, {
            name: channelName,
            ...(parentId ? { parentId } : {}),
            ...(o.private ? { private: true } : {}),
          });
        });
        out.result(
          { channelId: created.channelId, communityId, name: created.name, parentId: created.parentId },
          created.channelId,
        );
      }),
    );
  channel
    .command("delete")
    .description("delete a channel (MANAGE_CHANNELS)")
    .argument("<channel>", "channel id")
    .action((id: string) =>
      run(async (out, g) => {
        const channelId = idArg("channel", id);
        await withClient(g, (c) => c.communities.deleteChannel(channelId));
        out.result({ channelId, deleted: true }, `deleted ${channelId}`);
      }),
    );
  registerChannelPermissions(channel, run);
}

/** The id of the category named `name` in a community, created when there is none (MANAGE_CHANNELS). */
async function categoryId(client: VollyClient, communityId: string, name: string): Promise<string> {
  const community: CommunityResponse = await client.communities.get(communityId);
  const found = community.channels.find((c) => c.type === "category" && c.name === name);
  if (found) return found.channelId;
  const created = await client.communities.createChannel(communityId, { name, type: "category" });
  if (created.type !== "category") throw new VollyError("VOLLY_E_INTERNAL", "Not a category.");
  return created.channelId;
}
