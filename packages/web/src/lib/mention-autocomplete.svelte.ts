import {
  applyMention,
  type MentionCandidate,
  type MentionQuery,
  matchingCandidates,
  mentionQueryAt,
} from "./mentions.js";

/**
 * The composer's mention autocomplete, as a textbox with a listbox popup (WAI-ARIA APG combobox
 * pattern; a textarea cannot take the combobox role, so it keeps its textbox role with
 * `aria-autocomplete="list"`, `aria-controls` and `aria-activedescendant`): typing `@` opens the
 * list of matching candidates, ArrowDown/ArrowUp move, Enter or Tab pick, Escape closes it (until
 * another `@` is typed), a click picks.
 */
export class MentionAutocomplete {
  /** The `@query` being completed. */
  query = $state<MentionQuery | undefined>();
  /** The matching candidates shown (empty: closed). */
  options = $state<MentionCandidate[]>([]);
  /** Index of the highlighted option. */
  active = $state(0);
  /** The `@` Escape closed the list for (it stays closed while that mention is typed). */
  private dismissed: number | undefined;

  /**
   * @param candidates who may be mentioned here (read on every keystroke)
   * @param listId the listbox's DOM id (options are `${listId}-${key}`)
   */
  constructor(
    private readonly candidates: () => readonly MentionCandidate[],
    readonly listId: string,
  ) {}

  /** Whether the list shows. */
  get open(): boolean {
    return this.options.length > 0;
  }

  /** The DOM id of an option. */
  optionId(option: MentionCandidate): string {
    return `${this.listId}-${option.key}`;
  }

  /** The highlighted option's DOM id (for `aria-activedescendant`), when open. */
  get activeId(): string | undefined {
    const option = this.options[this.active];
    return this.open && option ? this.optionId(option) : undefined;
  }

  /** Follows the text and caret: opens, filters or closes the list. */
  update(text: string, caret: number): void {
    const query = mentionQueryAt(text, caret);
    if (!query || query.start === this.dismissed) {
      if (!query) this.dismissed = undefined;
      this.close();
      return;
    }
    this.query = query;
    this.options = matchingCandidates(this.candidates(), query.query);
    if (this.active >= this.options.length) this.active = 0;
  }

  /** Closes the list. */
  close(): void {
    this.query = undefined;
    this.options = [];
    this.active = 0;
  }

  /**
   * Handles a key of the text area while the list is open: the option to pick (Enter, Tab), true
   * when the key moved or closed the list, false when the key is not the list's.
   */
  keydown(ev: KeyboardEvent): MentionCandidate | boolean {
    if (!this.open || ev.isComposing) return false;
    const count = this.options.length;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      this.active = (this.active + (ev.key === "ArrowDown" ? 1 : count - 1)) % count;
      return true;
    }
    if ((ev.key === "Enter" || ev.key === "Tab") && !ev.shiftKey) {
      ev.preventDefault();
      return this.options[this.active] ?? false;
    }
    if (ev.key === "Escape") {
      ev.preventDefault();
      this.dismissed = this.query?.start;
      this.close();
      return true;
    }
    return false;
  }

  /** The text with the current `@query` replaced by `option` (and the caret after it); closes the list. */
  pick(text: string, option: MentionCandidate): { text: string; caret: number } | undefined {
    const query = this.query;
    this.close();
    return query ? applyMention(text, query, option.insert) : undefined;
  }
}
