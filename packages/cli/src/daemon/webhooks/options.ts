import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { VollyError } from "@volly/protocol";
import { DEFAULT_RETRY, type RetryPolicy } from "./backoff.js";
import { checkSecret } from "./secrets.js";

/** One webhook endpoint: where to POST, and the `whsec_…` secrets to sign with (several: rotation). */
export interface WebhookEndpoint {
  /** An http: or https: URL. */
  url: string;
  /** One or more `whsec_…` secrets (Standard Webhooks "Signature scheme"); each adds one signature. */
  secrets: string[];
}

/** Options of `createWebhookDispatcher` (the contract's shape plus optional tuning). */
export interface WebhookDispatcherOptions {
  /** Where events go; an empty list is allowed (then `enqueue` does nothing). */
  endpoints: WebhookEndpoint[];
  /** Directory of the durable queue (`webhooks.sqlite`); created with mode 0700 if missing. */
  stateDir: string;
  /** Called once an endpoint is disabled (it answered 410 Gone, now or before a restart). */
  onDisabled?(url: string): void;
  /** Back-off: first delay and cap in ms, attempts in all (defaults: 5 s, 12 h, 12). */
  retry?: { initialDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /** Per-attempt timeout, ms (default 15 000; Standard Webhooks "Request timeouts"). */
  attemptTimeoutMs?: number;
  /** Attempts in flight at once per endpoint (default 4). */
  concurrency?: number;
  /** Pending deliveries kept per endpoint before the oldest is dropped (default 10 000). */
  maxPending?: number;
  /** Where log lines go (default: standard error, prefixed "webhooks: "). */
  log?(line: string): void;
}

/** The options once checked, with defaults applied. */
export interface ResolvedOptions {
  endpoints: WebhookEndpoint[];
  stateDir: string;
  onDisabled: (url: string) => void;
  retry: RetryPolicy;
  attemptTimeoutMs: number;
  concurrency: number;
  maxPending: number;
  log: (line: string) => void;
}

const Ms = (max: number) => Type.Optional(Type.Integer({ minimum: 0, maximum: max }));
const DAY_MS = 24 * 60 * 60 * 1000;

/** The data part of {@link WebhookDispatcherOptions} (callbacks are checked by `typeof`). */
export const WebhookDispatcherOptionsSchema = Type.Object({
  endpoints: Type.Array(
    Type.Object(
      {
        url: Type.String({ minLength: 1, maxLength: 2048 }),
        secrets: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 10 }),
      },
      { additionalProperties: false },
    ),
    { maxItems: 100 },
  ),
  stateDir: Type.String({ minLength: 1 }),
  retry: Type.Optional(
    Type.Object(
      {
        initialDelayMs: Ms(DAY_MS),
        maxDelayMs: Ms(7 * DAY_MS),
        maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      },
      { additionalProperties: false },
    ),
  ),
  attemptTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 300_000 })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  maxPending: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
});
type OptionsData = Static<typeof WebhookDispatcherOptionsSchema>;

/** Default per-attempt timeout, ms. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 15_000;
/** Default attempts in flight per endpoint. */
export const DEFAULT_CONCURRENCY = 4;
/** Default cap on pending deliveries per endpoint. */
export const DEFAULT_MAX_PENDING = 10_000;

/**
 * Checks the dispatcher's options against {@link WebhookDispatcherOptionsSchema}, each endpoint's
 * URL (http: or https:, no duplicates) and secrets (`checkSecret`), and applies the defaults.
 *
 * @param options as the daemon passes them (from its command line)
 * @throws VollyError VOLLY_E_USAGE naming the first bad field (never echoing a secret)
 */
export function resolveOptions(options: WebhookDispatcherOptions): ResolvedOptions {
  const { onDisabled, log, ...data } = options;
  if (!Value.Check(WebhookDispatcherOptionsSchema, data)) {
    const first = Value.Errors(WebhookDispatcherOptionsSchema, data).First();
    const where = first?.path || "options";
    throw new VollyError("VOLLY_E_USAGE", `Bad webhook options at ${where}: ${first?.message ?? "invalid"}.`);
  }
  if (onDisabled !== undefined && typeof onDisabled !== "function") {
    throw new VollyError("VOLLY_E_USAGE", "onDisabled must be a function.");
  }
  if (log !== undefined && typeof log !== "function")
    throw new VollyError("VOLLY_E_USAGE", "log must be a function.");
  const checked: OptionsData = data;
  const seen = new Set<string>();
  for (const endpoint of checked.endpoints) {
    checkUrl(endpoint.url);
    if (seen.has(endpoint.url))
      throw new VollyError("VOLLY_E_USAGE", `Webhook ${redactUrl(endpoint.url)} is given twice.`);
    seen.add(endpoint.url);
    for (const secret of endpoint.secrets) checkSecret(secret, redactUrl(endpoint.url));
  }
  const retry = { ...DEFAULT_RETRY, ...checked.retry };
  if (retry.initialDelayMs > retry.maxDelayMs) {
    throw new VollyError("VOLLY_E_USAGE", "retry.initialDelayMs must not exceed retry.maxDelayMs.");
  }
  return {
    endpoints: checked.endpoints.map((e) => ({ url: e.url, secrets: [...e.secrets] })),
    stateDir: checked.stateDir,
    onDisabled: onDisabled ?? (() => {}),
    retry,
    attemptTimeoutMs: checked.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    concurrency: checked.concurrency ?? DEFAULT_CONCURRENCY,
    maxPending: checked.maxPending ?? DEFAULT_MAX_PENDING,
    log: log ?? ((line) => process.stderr.write(`webhooks: ${line}\n`)),
  };
}

/** @throws VollyError VOLLY_E_USAGE unless `url` is an absolute http: or https: URL without user info */
function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VollyError("VOLLY_E_USAGE", "A webhook URL must be an absolute http:// or https:// URL.");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new VollyError("VOLLY_E_USAGE", "A webhook URL must be an absolute http:// or https:// URL.");
  }
  if (parsed.username || parsed.password) {
    // fetch refuses such URLs; the signature is what authenticates a webhook.
    throw new VollyError("VOLLY_E_USAGE", "A webhook URL must not carry a user name or password.");
  }
}

/**
 * A URL fit for logs and error messages: user info dropped and the query string hidden (either
 * may carry a token). An unparseable URL gives "(invalid URL)".
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? "?…" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}
