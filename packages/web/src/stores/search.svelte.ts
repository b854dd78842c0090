import { describeError } from "../lib/errors.js";
import { sdk } from "../lib/sdk.js";
import { dayStart } from "../lib/search-snippet.js";
import type { SearchHit, SearchOptions } from "../worker/rpc-types.js";
import { communities } from "./communities.svelte.js";
import { conversations } from "./conversations.svelte.js";
import { messageActions } from "./message-actions.svelte.js";
import { messages } from "./messages.svelte.js";

/** How many hits one search shows. */
export const SEARCH_RESULTS = 50;

/**
 * The search dialog's state: the query (words and typed operators: `in:` `from:@bob` `has:link`
 * `has:file` `after:` `before:`, parsed by the SDK), the filters picked in the form, the hits of the
 * last search, and the jump from a hit to its message in context.
 */
class SearchStore {
  query = $state("");
  /** Filter: a conversation id ("" for all). */
  conversationId = $state("");
  /** Filter: a sender's handle ("" for anyone). */
  from = $state("");
  hasLink = $state(false);
  hasFile = $state(false);
  /** Filter: from this day on (a date input's `YYYY-MM-DD`, "" for none). */
  after = $state("");
  /** Filter: up to and including this day (`YYYY-MM-DD`, "" for none). */
  before = $state("");
  hits = $state<SearchHit[]>([]);
  searching = $state(false);
  /** Whether the hits answer the current query and filters (false while typing). */
  done = $state(false);
  error = $state<string | undefined>();
  private seq = 0;

  /** The filters picked in the form, as SDK options (they win over the same typed operators). */
  options(): SearchOptions {
    const from = this.from.trim();
    const after = dayStart(this.after);
    const before = dayStart(this.before, true);
    return {
      limit: SEARCH_RESULTS,
      ...(this.conversationId ? { conversationId: this.conversationId } : {}),
      ...(from ? { from } : {}),
      ...(this.hasLink ? { hasLink: true } : {}),
      ...(this.hasFile ? { hasFile: true } : {}),
      ...(after !== undefined ? { after } : {}),
      ...(before !== undefined ? { before } : {}),
    };
  }

  /** Whether there is anything to search for (words or a filter). */
  get ready(): boolean {
    const o = this.options();
    return this.query.trim() !== "" || Object.keys(o).length > 1;
  }

  /** Runs the search now; a newer call wins over an older one still running. */
  async run(): Promise<void> {
    const seq = ++this.seq;
    if (!this.ready) {
      this.hits = [];
      this.error = undefined;
      this.done = false;
      return;
    }
    this.searching = true;
    this.done = false;
    try {
      const hits = await sdk.search.messages(this.query.trim(), this.options());
      if (seq !== this.seq) return;
      this.hits = hits;
      this.error = undefined;
    } catch (err) {
      if (seq !== this.seq) return;
      this.hits = [];
      this.error = describeError(err);
    } finally {
      if (seq === this.seq) {
        this.searching = false;
        this.done = true;
      }
    }
  }

  /** Marks the hits out of date (the query or a filter changed; a search follows). */
  changed(): void {
    this.done = false;
  }

  /**
   * Opens a hit's message in context: its conversation (or community channel), older messages
   * loaded until it is there, scrolled to, focused and highlighted for a moment.
   *
   * @returns false when the message could not be shown (deleted since, or no longer here)
   */
  async jumpTo(hit: SearchHit): Promise<boolean> {
    const m = hit.message;
    if (m.communityId !== undefined && m.channelId !== undefined) {
      if (communities.selectedId !== m.communityId) await communities.select(m.communityId);
      if (communities.channelId !== m.channelId || communities.conversationId !== m.conversationId) {
        await communities.openChannel(m.channelId);
      }
    } else {
      if (communities.selectedId !== undefined) await communities.select(undefined);
      conversations.select(m.conversationId);
    }
    if (!(await messages.loadUntil(m.conversationId, m.id))) {
      messageActions.error = "That message is no longer on this device.";
      return false;
    }
    return messageActions.jumpTo(m.id);
  }
}

export const search = new SearchStore();
