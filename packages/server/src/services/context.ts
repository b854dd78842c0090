import type { EntityType } from "@volly/protocol";
import type { Bus } from "../bus/bus.js";
import type { Metrics } from "../metrics.js";
import type { Store } from "../store/types.js";
import type { ApiKeyGrant } from "./api-keys/grants.js";
import type { BlobFiles } from "./blobs/blob-files.js";

/** What every service is built from. Services know nothing of HTTP or WebSocket. */
export interface ServiceContext {
  store: Store;
  bus: Bus;
  /** The clock (ms since the Unix epoch); injectable so tests can expire nonces and sessions. */
  now: () => number;
  /**
   * Where appended log entries (`volly_messages_in_total`) and commit checks
   * (`volly_commit_checks_total`) are counted; optional in tests.
   */
  metrics?: Pick<Metrics, "messageIn" | "commitChecked">;
  /**
   * Where services report failures of their own (a bug, or stored data they cannot use) before
   * answering VOLLY_E_INTERNAL: ids, codes and messages only, never request content. Optional in tests.
   */
  log?: { error(fields: object, msg: string): void };
  /**
   * The blob directory: a message deleted for everyone takes the files of blobs only it pointed at
   * right away. Optional: without it their rows stay "removed" (unserved) until the blob expiry job
   * deletes the files.
   */
  blobFiles?: BlobFiles;
}

/** The identity of an authenticated device (REST bearer session or gateway IDENTIFY). */
export interface AuthContext {
  accountId: string;
  /** The account's kind: which rate-limit budget its requests and SENDs draw on (`config-rate-limits.ts`). */
  entityType: EntityType;
  deviceId: string;
  handle: string;
  /** Set when the session was made with an API key: its id, scopes and expiry (see api-keys/). */
  apiKey?: ApiKeyGrant;
}
