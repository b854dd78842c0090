import { VollyError } from "@volly/protocol";
import { checkSecret } from "./webhooks/secrets.js";

/** One `--webhook URL` with the `--webhook-secret whsec_…` flags that follow it. */
export interface WebhookFlag {
  url: string;
  secrets: string[];
}

/**
 * Collects `--webhook URL --webhook-secret whsec_… [--webhook-secret whsec_…]…` in command-line
 * order: each secret belongs to the `--webhook` before it; several secrets mean rotation (one
 * signature per secret, Standard Webhooks §"Signature scheme"). Commander calls `url` and `secret`
 * in argv order.
 */
export class WebhookFlags {
  readonly endpoints: WebhookFlag[] = [];

  /** `--webhook URL`: an http(s) URL. Throws VOLLY_E_USAGE. */
  url(value: string): void {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new VollyError("VOLLY_E_USAGE", `--webhook needs a URL, got ${value}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new VollyError("VOLLY_E_USAGE", "--webhook URLs start with http:// or https://");
    }
    this.endpoints.push({ url: url.href, secrets: [] });
  }

  /** `--webhook-secret whsec_…` (base64 of 24–64 bytes), for the last `--webhook`. Throws VOLLY_E_USAGE. */
  secret(value: string): void {
    const last = this.endpoints.at(-1);
    if (!last)
      throw new VollyError("VOLLY_E_USAGE", "--webhook-secret goes after the --webhook URL it signs for");
    last.secrets.push(checkSecret(value, last.url));
  }

  /** The endpoints, each checked to have at least one secret. Throws VOLLY_E_USAGE. */
  complete(): WebhookFlag[] {
    const unsigned = this.endpoints.find((e) => e.secrets.length === 0);
    if (unsigned)
      throw new VollyError("VOLLY_E_USAGE", `--webhook ${unsigned.url} needs a --webhook-secret whsec_…`);
    return this.endpoints;
  }
}
