/**
 * Browser entry point (also usable inside a Web Worker). Statically it loads only the IndexedDB
 * store and the WebSocket factory; the SDK itself (crypto, MLS) is imported when a profile is
 * created or opened, so probing for a profile stays cheap.
 */
import type { LinkProfileOptions } from "./account/link-profile.js";
import type { CreateProfileOptions } from "./account/profile.js";
import type { RecoveredClient } from "./account/recovered-client.js";
import type { RecoverProfileOptions } from "./account/recovery-profile.js";
import { IndexedDbClientStore } from "./storage/indexeddb-client-store.js";
import { KEYSTORE_KEY } from "./storage/store-keys.js";
import type { WebSocketFactory, WebSocketLike } from "./transport/websocket.js";
import type { VollyClient, VollyClientOptions } from "./volly-client.js";

export { IndexedDbClientStore };

/** Browser WebSocket factory (the platform's WebSocket; the server bounds frame sizes). */
export const browserSocketFactory: WebSocketFactory = (url) => new WebSocket(url) as unknown as WebSocketLike;

/** Name of the IndexedDB database holding the browser profile unless told otherwise. */
export const DEFAULT_BROWSER_DB = "volly";

/** Options of the browser entry points: the database name and client options. */
export interface BrowserClientOptions extends Partial<VollyClientOptions> {
  /** IndexedDB database name (default {@link DEFAULT_BROWSER_DB}); one profile per database. */
  dbName?: string;
}

/**
 * True when the browser (or worker) holds a profile in IndexedDB database `dbName`. Does not create
 * the database when the browser can list databases (`indexedDB.databases()`).
 */
export async function hasBrowserProfile(dbName = DEFAULT_BROWSER_DB): Promise<boolean> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) return false;
  if (typeof factory.databases === "function") {
    const dbs = await factory.databases();
    if (!dbs.some((d) => d.name === dbName)) return false;
  }
  const store = await IndexedDbClientStore.open(dbName);
  try {
    return (await store.get(KEYSTORE_KEY)) !== undefined;
  } finally {
    await store.close();
  }
}

/**
 * Creates a profile in IndexedDB, registers it with the server and uploads its first key packages
 * (mirrors `initNodeProfile`). The client is not connected yet: call `connect()` or
 * `connection.start()`. Throws as `createProfile`: VOLLY_E_PROFILE_EXISTS, VOLLY_E_PIN_INVALID,
 * VOLLY_E_HANDLE_INVALID, VOLLY_E_HANDLE_TAKEN, VOLLY_E_USAGE, VOLLY_E_SERVER_UNREACHABLE.
 */
export async function createBrowserProfile(
  options: Omit<CreateProfileOptions, "store">,
  clientOptions: BrowserClientOptions = {},
): Promise<VollyClient> {
  const { dbName = DEFAULT_BROWSER_DB, ...rest } = clientOptions;
  const [{ createProfile }, { VollyClient }] = await Promise.all([
    import("./account/profile.js"),
    import("./volly-client.js"),
  ]);
  return VollyClient.fromStore(
    await IndexedDbClientStore.open(dbName),
    (store) => createProfile({ ...options, store }),
    { createSocket: browserSocketFactory, ...rest },
    true,
  );
}

/**
 * Links this browser as a new device of an existing account from a pairing code (mirrors
 * `linkNodeProfile`): claims the link, waits for approval, seals the profile in IndexedDB and
 * uploads the first key packages. Not connected yet. Throws as `linkProfile`.
 */
export async function linkBrowserProfile(
  options: Omit<LinkProfileOptions, "store">,
  clientOptions: BrowserClientOptions = {},
): Promise<VollyClient> {
  const { dbName = DEFAULT_BROWSER_DB, ...rest } = clientOptions;
  const [{ linkProfile }, { VollyClient }] = await Promise.all([
    import("./account/link-profile.js"),
    import("./volly-client.js"),
  ]);
  return VollyClient.fromStore(
    await IndexedDbClientStore.open(dbName),
    (store) => linkProfile({ ...options, store }),
    { createSocket: browserSocketFactory, ...rest },
    true,
  );
}

/** What {@link recoverBrowserProfile} returns. */
export type RecoveredBrowserClient = RecoveredClient;

/**
 * Restores an account whose devices are all lost with its recovery key into IndexedDB (mirrors
 * `recoverNodeProfile`): this browser registered, every other device revoked, the account backup
 * restored, the first key packages uploaded and every conversation rejoined by external commit.
 * Not connected yet. Throws as `recoverProfile`.
 */
export async function recoverBrowserProfile(
  options: Omit<RecoverProfileOptions, "store">,
  clientOptions: BrowserClientOptions = {},
): Promise<RecoveredBrowserClient> {
  const { dbName = DEFAULT_BROWSER_DB, ...rest } = clientOptions;
  const { openRecoveredClient } = await import("./account/recovered-client.js");
  return openRecoveredClient(await IndexedDbClientStore.open(dbName), options, {
    createSocket: browserSocketFactory,
    ...rest,
  });
}

/**
 * Unlocks the browser profile with its PIN (mirrors `openNodeClient`); not connected yet. Throws
 * VOLLY_E_PROFILE_MISSING, VOLLY_E_PIN_INVALID, VOLLY_E_WRONG_PIN (`details.retryAfterMs` once
 * attempts are slowed down).
 */
export async function openBrowserClient(
  pin: string,
  options: BrowserClientOptions = {},
): Promise<VollyClient> {
  const { dbName = DEFAULT_BROWSER_DB, ...rest } = options;
  const [{ unlockProfile }, { VollyClient }] = await Promise.all([
    import("./account/profile.js"),
    import("./volly-client.js"),
  ]);
  return VollyClient.fromStore(
    await IndexedDbClientStore.open(dbName),
    (store) => unlockProfile(store, pin),
    { createSocket: browserSocketFactory, ...rest },
  );
}
