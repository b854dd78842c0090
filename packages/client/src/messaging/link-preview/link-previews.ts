import type { LinkPreview } from "@volly/protocol";
import type { Settings } from "../../account/settings-api.js";
import { fetchLinkPreview, PREVIEW_FETCH_LIMITS, type PreviewFetchLimits } from "./fetch-preview.js";
import { firstHttpUrl } from "./first-link.js";

/**
 * Link previews on the sending side (docs/architecture.md "Formatting and link previews"): only when the user turned the
 * `linkPreviews` setting on (off by default, as the fetch tells the linked site that this device
 * — its IP address — is about to share the link), the sender's device fetches the first http(s)
 * URL of the text it sends. Receivers only render what came with the message; they never fetch.
 */
export class LinkPreviews {
  /**
   * @param settings the account's settings (read at each send)
   * @param limits bounds of each fetch
   */
  constructor(
    private readonly settings: Pick<Settings, "get">,
    private readonly limits: PreviewFetchLimits = PREVIEW_FETCH_LIMITS,
  ) {}

  /**
   * The preview to send with `text`, or undefined: previews off, no http(s) URL (or a spoiler) in
   * the text, or the page gave none within the limits (never throws).
   *
   * @param text the message's text
   */
  async forText(text: string): Promise<LinkPreview | undefined> {
    const url = firstHttpUrl(text);
    if (!url || !(await this.settings.get()).linkPreviews) return undefined;
    return fetchLinkPreview(url, this.limits);
  }
}
