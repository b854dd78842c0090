import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { LIMITS, VollyError } from "@volly/protocol";
import WebSocket from "ws";
import { type MovedProfile, type MoveProfileOptions, moveProfile } from "./account/account-move.js";
import {
  resealProfileWithApiKey,
  sealProfileWithApiKey,
  unlockProfileWithApiKey,
} from "./account/api-key-profile.js";
import { type LinkProfileOptions, linkProfile } from "./account/link-profile.js";
import { type CreateProfileOptions, createProfile, hasProfile, unlockProfile } from "./account/profile.js";
import { openRecoveredClient, type RecoveredClient } from "./account/recovered-client.js";
import type { RecoverProfileOptions, recoverProfile } from "./account/recovery-profile.js";
import { nodeLocalFiles } from "./attachments/node-files.js";
import { SqliteClientStore } from "./storage/sqlite-client-store.js";
import type { WebSocketFactory, WebSocketLike } from "./transport/websocket.js";
import { VollyClient, type VollyClientOptions } from "./volly-client.js";

/** Node WebSocket factory (the `ws` package) with the protocol's frame limit and no compression. */
export const nodeSocketFactory: WebSocketFactory = (url) =>
  new WebSocket(url, {
    maxPayload: LIMITS.maxOutboundFrameBytes,
    perMessageDeflate: false,
  }) as unknown as WebSocketLike;

/** Opens the SQLite store of a profile directory (created if missing). */
export function openProfileStore(profileDir: string): SqliteClientStore {
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  return new SqliteClientStore(join(profileDir, "volly.db"));
}

/** True when `profileDir` holds a profile. */
export async function profileExists(profileDir: string): Promise<boolean> {
  const store = openProfileStore(profileDir);
  try {
    return await hasProfile(store);
  } finally {
    await store.close();
  }
}

/**
 * Creates a profile in `profileDir`, registers it with the server and uploads its first key
 * packages. Errors as {@link createProfile}.
 */
export async function initNodeProfile(
  profileDir: string,
  options: Omit<CreateProfileOptions, "store">,
  clientOptions: Partial<VollyClientOptions> = {},
): Promise<VollyClient> {
  return VollyClient.fromStore(
    openProfileStore(profileDir),
    (store) => createProfile({ ...options, store }),
    { createSocket: nodeSocketFactory, localFiles: nodeLocalFiles, ...clientOptions },
    true,
  );
}

/**
 * Links this machine as a new device of an existing account from a pairing code (see
 * {@link linkProfile}): claims the link, waits for the existing device's approval, seals the profile
 * in `profileDir` and uploads the first key packages. Connect the returned client to receive a
 * Welcome for every conversation of the account. Errors as {@link linkProfile}.
 */
export async function linkNodeProfile(
  profileDir: string,
  options: Omit<LinkProfileOptions, "store">,
  clientOptions: Partial<VollyClientOptions> = {},
): Promise<VollyClient> {
  return VollyClient.fromStore(
    openProfileStore(profileDir),
    (store) => linkProfile({ ...options, store }),
    { createSocket: nodeSocketFactory, localFiles: nodeLocalFiles, ...clientOptions },
    true,
  );
}

/** What {@link recoverNodeProfile} returns. */
export type RecoveredNodeClient = RecoveredClient;

/**
 * Restores an account whose devices are all lost with its recovery key into `profileDir` (see
 * {@link recoverProfile}: this device registered, every other one revoked, the account backup
 * restored), uploads the first key packages and rejoins every conversation by external commit
 * (`client.recovery.rejoin()`; `account/recovered-client.ts`). Errors as {@link recoverProfile}.
 */
export function recoverNodeProfile(
  profileDir: string,
  options: Omit<RecoverProfileOptions, "store">,
  clientOptions: Partial<VollyClientOptions> = {},
): Promise<RecoveredNodeClient> {
  return openRecoveredClient(openProfileStore(profileDir), options, {
    createSocket: nodeSocketFactory,
    localFiles: nodeLocalFiles,
    ...clientOptions,
  });
}

/**
 * Writes the profile in `profileDir` — this device's identity, its conversations' MLS states and
 * their history — to `file` (a consistent copy of its store, still sealed under the PIN), for
 * {@link importNodeProfile} on another machine or server. Checks the PIN first.
 *
 * @returns the profile's handle and the copy's size (bytes)
 * @throws VollyError VOLLY_E_PROFILE_MISSING, VOLLY_E_WRONG_PIN, VOLLY_E_USAGE (`file` exists)
 */
export async function exportNodeProfile(
  profileDir: string,
  file: string,
  pin: string,
): Promise<{ handle: string; bytes: number }> {
  if (existsSync(file)) throw new VollyError("VOLLY_E_USAGE", `${file} exists already.`);
  if (!(await profileExists(profileDir))) throw new VollyError("VOLLY_E_PROFILE_MISSING");
  const store = openProfileStore(profileDir);
  try {
    const { profile } = await unlockProfile(store, pin);
    await store.backup(file);
    return { handle: profile.handle, bytes: statSync(file).size };
  } finally {
    await store.close();
  }
}

/**
 * Imports a profile {@link exportNodeProfile} wrote into `profileDir` (which must hold none) and
 * moves its account to the server `options.serverUrl` names ({@link moveProfile}). Nothing is left
 * in `profileDir` when the move fails; `file` is never changed, so it can be tried again. Then open
 * the profile, connect, and call `client.keyPackages.topUp()`: the new server holds none of this
 * device's key packages yet.
 *
 * @throws VollyError VOLLY_E_USAGE (`profileDir` holds a profile, `file` is missing), and what
 *   {@link moveProfile} throws
 */
export async function importNodeProfile(
  file: string,
  profileDir: string,
  options: Omit<MoveProfileOptions, "store">,
): Promise<MovedProfile> {
  if (!existsSync(file)) throw new VollyError("VOLLY_E_USAGE", `${file} does not exist.`);
  if (await profileExists(profileDir)) {
    throw new VollyError("VOLLY_E_USAGE", `${profileDir} holds a profile already; import into another one.`);
  }
  const target = join(profileDir, "volly.db");
  const staged = `${target}.import`;
  const clean = (path: string) => {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  };
  clean(staged);
  copyFileSync(file, staged);
  const store = new SqliteClientStore(staged);
  let moved: MovedProfile;
  try {
    moved = await moveProfile({ ...options, store });
  } catch (error) {
    await store.close();
    clean(staged);
    throw error;
  }
  await store.close();
  clean(target);
  renameSync(staged, target);
  return moved;
}

/** Unlocks the profile in `profileDir` with its PIN. Throws VOLLY_E_PROFILE_MISSING, VOLLY_E_WRONG_PIN. */
export async function openNodeClient(
  profileDir: string,
  pin: string,
  clientOptions: Partial<VollyClientOptions> = {},
): Promise<VollyClient> {
  return VollyClient.fromStore(openProfileStore(profileDir), (store) => unlockProfile(store, pin), {
    createSocket: nodeSocketFactory,
    localFiles: nodeLocalFiles,
    ...clientOptions,
  });
}

/**
 * Unlocks the profile in `profileDir` with an API key (no PIN; see `sealProfileWithApiKey`) and uses
 * the key for the client's sessions (`VollyClientOptions.apiKey`).
 * Throws VOLLY_E_PROFILE_MISSING, VOLLY_E_PROFILE_LOCKED, VOLLY_E_API_KEY_INVALID.
 */
export async function openNodeClientWithApiKey(
  profileDir: string,
  apiKey: string,
  clientOptions: Partial<VollyClientOptions> = {},
): Promise<VollyClient> {
  return VollyClient.fromStore(
    openProfileStore(profileDir),
    (store) => unlockProfileWithApiKey(store, apiKey),
    {
      createSocket: nodeSocketFactory,
      localFiles: nodeLocalFiles,
      ...clientOptions,
      apiKey,
    },
  );
}

/**
 * Seals the profile in `profileDir` under `apiKey` too (see `sealProfileWithApiKey`); with
 * `removePin` the PIN no longer opens it.
 */
export async function sealNodeProfileWithApiKey(
  profileDir: string,
  pin: string,
  apiKey: string,
  options: { removePin?: boolean } = {},
): Promise<void> {
  const store = openProfileStore(profileDir);
  try {
    await sealProfileWithApiKey(store, pin, apiKey, options);
  } finally {
    await store.close();
  }
}

/** Re-seals the profile in `profileDir` from `oldKey` to `newKey` (see `resealProfileWithApiKey`). */
export async function resealNodeProfileWithApiKey(
  profileDir: string,
  oldKey: string,
  newKey: string,
): Promise<void> {
  const store = openProfileStore(profileDir);
  try {
    await resealProfileWithApiKey(store, oldKey, newKey);
  } finally {
    await store.close();
  }
}

export { type LanTransportOptions, startLanTransport } from "./p2p/lan-node-transport.js";
export { DIRECT_CONNECT_TIMEOUT_MS, type WeriftPeerOptions, weriftPeerFactory } from "./p2p/werift-peers.js";
export type { MovedProfile, MoveProfileOptions };
export { nodeLocalFiles, SqliteClientStore };
