import { type MessageRecord, parseCommunityInvite, profileServerUrls, type VollyClient } from "@volly/client";
import { type BotLog, describeError } from "../log.js";

/** Community invites in a text: `volly-community:<origin>/<code>` links and `<origin>/c/<code>` web addresses. */
const INVITE_IN_TEXT =
  /volly-community:https?:\/\/[^\s/]+\/[A-Za-z0-9_-]{16,32}|https?:\/\/[^\s/]+\/c\/[A-Za-z0-9_-]{16,32}/g;

/**
 * The community invites of this bot's server found in `text` (links of other servers are left out:
 * a member joins communities of its own server only).
 *
 * @param serverOrigins the origins of the bot's server URLs
 */
export function communityInvitesIn(text: string, serverOrigins: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const [candidate] of text.matchAll(INVITE_IN_TEXT)) {
    try {
      const { server } = parseCommunityInvite(candidate);
      if (server && serverOrigins.has(server) && !found.includes(candidate)) found.push(candidate);
    } catch {
      // not an invite after all
    }
  }
  return found;
}

/**
 * Joins what the bot is invited to, by itself (`BotOptions.autoJoin`, default on):
 *
 * - groups: nothing to do here — the SDK joins a group as soon as its Welcome arrives (also one
 *   that arrived while the bot was stopped); this logs the join;
 * - community channels: the SDK joins the groups of every channel the account may view once it is a
 *   member of the community (on connect and on every community change); what a person does by
 *   opening an invite link, the bot does when someone sends it a community invite link of its own
 *   server in a direct conversation: it joins the community (`client.communities.join`), and so its
 *   channels. Links in groups and channels are not followed (only an invite addressed to the bot).
 *
 * @returns the function that stops it
 */
export function autoJoin(client: VollyClient, log: BotLog): () => void {
  const origins = new Set(profileServerUrls(client.profile).map((url) => new URL(url).origin));
  return client.messaging.received.add((record) => {
    if (record.direction !== "in") return;
    if (record.body.type === "membership" && record.body.change === "joined") {
      log(`@${record.from} added me to conversation ${record.conversationId}`);
      return;
    }
    joinInvitedCommunities(client, record, origins, log).catch((err: unknown) =>
      log(`could not follow the invite in message ${record.id}: ${describeError(err)}`),
    );
  });
}

async function joinInvitedCommunities(
  client: VollyClient,
  record: MessageRecord,
  origins: ReadonlySet<string>,
  log: BotLog,
): Promise<void> {
  if (record.body.type !== "text") return;
  const invites = communityInvitesIn(record.body.text, origins);
  if (invites.length === 0) return;
  if ((await client.conversations.get(record.conversationId)).kind !== "direct") return;
  for (const invite of invites) {
    try {
      const community = await client.communities.join(invite);
      log(`joined the community "${community.name}" (${community.communityId}) on @${record.from}'s invite`);
    } catch (err) {
      log(`could not join the community of @${record.from}'s invite: ${describeError(err)}`);
    }
  }
}
