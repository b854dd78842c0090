import type { ApiKeyInfo, ApiKeyScope, CreatedApiKey } from "@volly/protocol";

/** Options of {@link ApiKeys.create}. */
export interface CreateApiKeyOptions {
  /** A label for people (1–64 characters), e.g. "echo bot on pi-3". Not secret. */
  name: string;
  /** What sessions made with the key may do; default all three (`send`, `read`, `manage`). */
  scopes?: ApiKeyScope[];
  /** When the key stops working (ms since the Unix epoch); default never. */
  expiresAt?: number;
}

/**
 * The account's API keys (`client.apiKeys`): for its bots and services, which pass one as
 * `VollyClientOptions.apiKey` to authenticate unattended with its scopes.
 */
export interface ApiKeys {
  /**
   * Creates a key. The answer's `key` (`vly_…`) is shown this once: the server keeps only its
   * SHA-256. @throws VollyError VOLLY_E_API_KEY_SCOPE (this session's key lacks `manage`),
   * VOLLY_E_BAD_REQUEST (a past expiry), VOLLY_E_RATE_LIMITED (50 active keys)
   */
  create(options: CreateApiKeyOptions): Promise<CreatedApiKey>;
  /** The account's keys, newest first (never the keys themselves). @throws VOLLY_E_API_KEY_SCOPE */
  list(): Promise<ApiKeyInfo[]>;
  /** Revokes a key at once (its sessions end). @throws VOLLY_E_NOT_FOUND, VOLLY_E_API_KEY_SCOPE */
  revoke(keyId: string): Promise<ApiKeyInfo>;
  /**
   * Replaces a key with a new one (same name, scopes, expiry); the old one keeps working for
   * `overlapMs` (ms, at most 30 days) and then expires.
   * @throws VOLLY_E_NOT_FOUND, VOLLY_E_API_KEY_REVOKED / _EXPIRED / _ROTATED, VOLLY_E_API_KEY_SCOPE
   */
  rotate(keyId: string, overlapMs: number): Promise<CreatedApiKey>;
}
