import { can, type PermissionName, textChannelsInOrder } from "../lib/community.js";
import { describeError } from "../lib/errors.js";
import { sdk } from "../lib/sdk.js";
import type { CommunitySummary, CommunityView } from "../worker/rpc-types.js";
import { conversations } from "./conversations.svelte.js";
import { voice } from "./voice.svelte.js";

/** On a narrow screen one pane shows at a time: the rail and channels, the chat, or the members. */
export type CommunityPane = "nav" | "chat" | "members";

/**
 * The communities of this account, which one is open (none: the direct messages), the open
 * community as this account sees it, and which of its channels is open (by channel id, with its
 * conversation id once the SDK joined it).
 */
class CommunityStore {
  list = $state<CommunitySummary[]>([]);
  /** The open community; undefined: the direct messages. */
  selectedId = $state<string | undefined>();
  current = $state<CommunityView | undefined>();
  channelId = $state<string | undefined>();
  /** The open channel's conversation (MLS group) id on this device, once known. */
  conversationId = $state<string | undefined>();
  /** Whether the member list shows (wide screens; a toggle). */
  showMembers = $state(true);
  pane = $state<CommunityPane>("nav");
  error = $state<string | undefined>();
  /** Why the open community closed (kicked, banned, deleted), shown on the direct messages. */
  notice = $state<string | undefined>();
  /** The last channel opened per community, to come back to it. */
  private lastChannel = new Map<string, string>();
  /**
   * Views of the open community are numbered in the order they were asked for (a read, or a
   * gateway event's view): one that arrives after a later-asked one was shown is stale and dropped.
   * Two reads in flight (a settings change's reload and the next one's) could otherwise finish out
   * of order and leave the sidebar showing the older state until the next change.
   */
  private viewsAsked = 0;
  private viewShown = 0;
  /**
   * Counts the places this user went (a channel or community picked): an action that finishes
   * later (a channel created, then opened) checks it so it does not take the user back from where
   * they went in the meantime.
   */
  navigation = 0;

  /** Reloads the list of communities. */
  async refresh(): Promise<void> {
    try {
      this.list = await sdk.communities.list();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  /** Whether this account has `permission` in the open community. */
  can(permission: PermissionName): boolean {
    return this.current ? can(this.current.myPermissionNames, permission) : false;
  }

  /** Opens a community (undefined: the direct messages) and its last or first channel. */
  async select(communityId: string | undefined): Promise<void> {
    if (communityId !== this.selectedId) this.navigation++;
    this.selectedId = communityId;
    this.notice = undefined;
    this.error = undefined;
    if (communityId === undefined) {
      this.current = undefined;
      return;
    }
    if (this.current?.communityId !== communityId) {
      this.current = undefined;
      this.channelId = undefined;
      this.conversationId = undefined;
      this.pane = "nav";
    }
    const asked = ++this.viewsAsked;
    try {
      const view = await sdk.communities.get(communityId);
      if (asked > this.viewShown && this.selectedId === communityId) this.showView(view, asked);
    } catch (err) {
      this.error = describeError(err);
    }
  }

  /** Reads the open community again (after a change made here; the gateway's event follows). */
  async reload(): Promise<void> {
    if (this.selectedId) await this.select(this.selectedId);
  }

  /**
   * Opens a channel of the open community: the SDK joins its group if this device has not yet.
   *
   * @param showChat on a narrow screen, show the chat (a channel the user picked) rather than the list
   */
  async openChannel(channelId: string, showChat = true): Promise<void> {
    const communityId = this.selectedId;
    if (showChat && channelId !== this.channelId) this.navigation++;
    this.channelId = channelId;
    this.conversationId = undefined;
    if (showChat) this.pane = "chat";
    if (communityId) this.lastChannel.set(communityId, channelId);
    try {
      const id = await sdk.communities.conversationOf(channelId);
      if (this.channelId !== channelId) return;
      conversations.upsert(await sdk.conversations.get(id));
      this.conversationId = id;
      this.error = undefined;
    } catch (err) {
      if (this.channelId === channelId) this.error = describeError(err);
    }
  }

  /** Shows a community just created, joined or changed here, and adds it to the rail. */
  async adopt(community: CommunityView): Promise<void> {
    await this.refresh();
    this.selectedId = community.communityId;
    this.current = undefined;
    this.showView(community, ++this.viewsAsked);
  }

  /** A community changed (SDK event): keep the rail and the open community current. */
  onChange(change: { communityId: string; community?: CommunityView }): void {
    void this.refresh();
    if (change.communityId !== this.selectedId) return;
    if (change.community) {
      this.showView(change.community, ++this.viewsAsked);
      return;
    }
    const name = this.current?.name ?? "The community";
    void this.select(undefined);
    this.notice = `${name} is no longer available to you: you left, were removed, or it was deleted.`;
  }

  /** Shows view number `asked` (see {@link viewsAsked}). */
  private showView(community: CommunityView, asked: number): void {
    this.viewShown = asked;
    this.show(community);
  }

  /** Takes a fresh view of the open community; opens another channel if the open one is gone. */
  private show(community: CommunityView): void {
    this.current = community;
    const channels = textChannelsInOrder(community).filter((c) => c.type !== "voice");
    if (voice.statesOf !== community.communityId) void voice.load(community.communityId);
    const open = this.channelId;
    if (open && channels.some((c) => c.channelId === open)) return;
    const last = this.lastChannel.get(community.communityId);
    const next = channels.find((c) => c.channelId === last) ?? channels[0];
    if (next) void this.openChannel(next.channelId, false);
    else {
      this.channelId = undefined;
      this.conversationId = undefined;
    }
  }
}

export const communities = new CommunityStore();
