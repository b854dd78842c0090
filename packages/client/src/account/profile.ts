import {
  createKeystore,
  DEFAULT_CIPHERSUITE,
  type DeviceIdentity,
  generateIdentity,
  type KdfParams,
  openKeystore,
  type SealedKeystore,
  sign,
  validatePin,
} from "@volly/crypto";
import {
  type EntityType,
  fromBase64Url,
  isValidHandle,
  signingInput,
  toBase64Url,
  utf8,
  VollyError,
} from "@volly/protocol";
import type { ClientStore } from "../storage/client-store.js";
import { migrateStores, STORE_SCHEMA_VERSION } from "../storage/migrations/migrations.js";
import { KEYSTORE_KEY, PIN_ATTEMPTS_KEY } from "../storage/store-keys.js";
import { Stores } from "../storage/stores.js";
import { Vault } from "../storage/vault.js";
import { HttpApi } from "../transport/http-api.js";
import type { ProfileRecord } from "./account-records.js";

/**
 * PIN back-off: after this many consecutive wrong PINs, each further attempt must wait
 * 2^(failures − FREE_ATTEMPTS) seconds after the previous one, at most PIN_BACKOFF_MAX_MS.
 */
export const PIN_BACKOFF = { freeAttempts: 3, maxMs: 5 * 60 * 1000 } as const;

/** Consecutive wrong PINs, kept unsealed (it must be readable before the PIN is known). */
interface PinAttempts {
  failures: number;
  /** ms since the epoch of the last failure. */
  lastAt: number;
}

/** How long after the last failure the next attempt is allowed (ms); 0 when at once. */
export function pinRetryDelayMs(failures: number): number {
  if (failures < PIN_BACKOFF.freeAttempts) return 0;
  return Math.min(PIN_BACKOFF.maxMs, 1000 * 2 ** (failures - PIN_BACKOFF.freeAttempts));
}

/** What `createProfile` needs. */
export interface CreateProfileOptions {
  /** Where the profile is sealed (`openProfileStore` in Node, an `IndexedDbClientStore`); empty. */
  store: ClientStore;
  /**
   * The server's URL, or the URLs of several nodes of one deployment, the preferred one first:
   * registration fails over between them and the profile keeps them all (its `serverUrl` is the
   * first). Only their origins are kept.
   */
  serverUrl: string | readonly string[];
  /** The new account's handle, without `@` (see `isValidHandle` of @volly/protocol). */
  handle: string;
  /** The PIN sealing the profile on this device: 6 digits (never sent anywhere). */
  pin: string;
  /** What the account is (directory data). Default "human". */
  entityType?: EntityType;
  /** This device's name, shown in the account's device list. Default "cli". */
  deviceName?: string;
  /** Name shown next to the handle (1–64 characters; directory data, visible to the server). */
  displayName?: string;
  /** This device's MLS ciphersuite (RFC 9420 §17.1 name). Default: @volly/crypto's `DEFAULT_CIPHERSUITE`. */
  ciphersuite?: string;
  /** Argon2id cost override (tests); defaults are m=64 MiB, t=3, p=1. */
  kdf?: Partial<Omit<KdfParams, "alg" | "salt">>;
}

/**
 * An unlocked profile, as `createProfile`, `unlockProfile` and `linkProfile` return it: open a
 * client on it with `VollyClient.open`. Its sealed record stores go with it, out of sight.
 */
export interface UnlockedProfile {
  /** The profile's record: handle, account and device ids, server URLs. */
  readonly profile: ProfileRecord;
  /** This device's Ed25519 identity key pair. */
  readonly identity: DeviceIdentity;
}

/** The sealed record stores of each unlocked profile (not a member of it: internal). */
const UNLOCKED_STORES = new WeakMap<UnlockedProfile, Stores>();

/** An {@link UnlockedProfile} whose stores {@link profileStores} returns. */
function unlocked(profile: ProfileRecord, identity: DeviceIdentity, stores: Stores): UnlockedProfile {
  const result: UnlockedProfile = { profile, identity };
  UNLOCKED_STORES.set(result, stores);
  return result;
}

/**
 * The sealed record stores of a profile unlocked by this module (for `VollyClient.open`).
 *
 * @throws VollyError VOLLY_E_USAGE for an object `createProfile`, `unlockProfile` or `linkProfile`
 *   did not return
 */
export function profileStores(profile: UnlockedProfile): Stores {
  const stores = UNLOCKED_STORES.get(profile);
  if (!stores) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "Not an unlocked profile: use what createProfile, unlockProfile or linkProfile returned.",
    );
  }
  return stores;
}

/**
 * Creates a profile: generates the device identity, registers account + device with the server
 * (signed proof of possession), and seals the keys under a data key wrapped by Argon2id(PIN).
 * The optional display name is registered with the account (RegisterAccountBody.displayName).
 * Throws VOLLY_E_PROFILE_EXISTS, VOLLY_E_PIN_INVALID, VOLLY_E_HANDLE_INVALID, VOLLY_E_HANDLE_TAKEN,
 * VOLLY_E_USAGE (display name empty or over 64 characters, no server URL or one that is not a
 * URL), VOLLY_E_SERVER_UNREACHABLE (no server URL answered).
 */
export async function createProfile(options: CreateProfileOptions): Promise<UnlockedProfile> {
  validatePin(options.pin);
  if (!isValidHandle(options.handle)) throw new VollyError("VOLLY_E_HANDLE_INVALID");
  const displayName = options.displayName?.trim();
  if (displayName !== undefined && (displayName.length === 0 || displayName.length > 64)) {
    throw new VollyError("VOLLY_E_USAGE", "A display name is 1–64 characters.");
  }
  if (await options.store.get(KEYSTORE_KEY)) throw new VollyError("VOLLY_E_PROFILE_EXISTS");
  const serverUrls = serverOrigins(options.serverUrl);
  const identity = generateIdentity();
  const publicKey = toBase64Url(identity.signaturePublicKey);
  const api = new HttpApi(serverUrls);
  const registered = await api.call("registerAccount", {
    body: {
      handle: options.handle,
      entityType: options.entityType ?? "human",
      ...(displayName !== undefined ? { displayName } : {}),
      device: { signaturePublicKey: publicKey, name: options.deviceName ?? "cli" },
      signature: toBase64Url(
        sign(identity.signaturePrivateKey, signingInput.register(options.handle, publicKey)),
      ),
    },
  });
  const profile: ProfileRecord = {
    serverUrl: serverUrls[0] ?? "",
    ...(serverUrls.length > 1 ? { serverUrls } : {}),
    accountId: registered.accountId,
    deviceId: registered.deviceId,
    handle: registered.handle,
    entityType: options.entityType ?? "human",
    ...(displayName !== undefined ? { displayName } : {}),
    ciphersuite: options.ciphersuite ?? DEFAULT_CIPHERSUITE,
    signaturePublicKey: publicKey,
    signaturePrivateKey: toBase64Url(identity.signaturePrivateKey),
    createdAt: Date.now(),
  };
  return sealProfile(options.store, options.pin, profile, identity, options.kdf);
}

/**
 * Seals a new profile into `store`: a data key wrapped by Argon2id(PIN) (the keystore), then the
 * profile record sealed under that key. Used by {@link createProfile} and by linking.
 *
 * @param kdf Argon2id cost override (tests)
 */
export async function sealProfile(
  store: ClientStore,
  pin: string,
  profile: ProfileRecord,
  identity: DeviceIdentity,
  kdf?: Partial<Omit<KdfParams, "alg" | "salt">>,
): Promise<UnlockedProfile> {
  const { keystore, dataKey } = await createKeystore(pin, kdf);
  const stores = new Stores(new Vault(store, dataKey));
  await store.commit({ puts: [{ key: KEYSTORE_KEY, value: utf8(JSON.stringify(keystore)) }] });
  const batch = stores.profile.put(stores.batch(), profile);
  await stores.schemaVersion.put(batch, STORE_SCHEMA_VERSION).commit();
  return unlocked(profile, identity, stores);
}

/**
 * Unlocks an existing profile with its PIN. Wrong PINs are slowed down: after
 * {@link PIN_BACKOFF}.freeAttempts consecutive failures, the next attempt must wait
 * 2^(failures − 3) s after the last one (1 s, 2 s, 4 s, … at most 5 min) and an earlier one is
 * rejected without trying the PIN. The counter is stored unsealed next to the keystore and reset
 * by a correct PIN. (It slows guessing through the app; an attacker with the files faces Argon2id.)
 * Once unlocked, the store's records are migrated to the current format (`migrateStores`: each
 * pending migration once, in order).
 *
 * @param options.now clock (ms), for tests
 * @throws VOLLY_E_PROFILE_MISSING, VOLLY_E_PIN_INVALID, VOLLY_E_WRONG_PIN (nothing but the counter
 *   is changed by a wrong PIN; once attempts are slowed down, `details.retryAfterMs` says how long
 *   to wait before the next attempt and `details.failures` counts consecutive failures)
 */
export async function unlockProfile(
  store: ClientStore,
  pin: string,
  options: { now?: () => number } = {},
): Promise<UnlockedProfile> {
  const now = options.now ?? Date.now;
  const raw = await store.get(KEYSTORE_KEY);
  if (!raw) throw new VollyError("VOLLY_E_PROFILE_MISSING");
  const attempts = await readAttempts(store);
  const delay = pinRetryDelayMs(attempts.failures);
  // Capped at the delay itself, so a clock set back cannot lock the profile for longer.
  const wait = Math.min(delay, attempts.lastAt + delay - now());
  if (wait > 0) {
    throw new VollyError(
      "VOLLY_E_WRONG_PIN",
      `Too many wrong PINs; try again in ${Math.ceil(wait / 1000)} s.`,
      {
        retryAfterMs: wait,
        failures: attempts.failures,
      },
    );
  }
  const keystore = JSON.parse(new TextDecoder().decode(raw)) as SealedKeystore;
  let dataKey: Uint8Array;
  try {
    dataKey = await openKeystore(keystore, pin);
  } catch (err) {
    if (err instanceof VollyError && err.code === "VOLLY_E_WRONG_PIN") {
      const failures = attempts.failures + 1;
      const record: PinAttempts = { failures, lastAt: now() };
      await store.commit({ puts: [{ key: PIN_ATTEMPTS_KEY, value: utf8(JSON.stringify(record)) }] });
      const retryAfterMs = pinRetryDelayMs(failures);
      throw retryAfterMs > 0
        ? new VollyError("VOLLY_E_WRONG_PIN", err.message, { ...(err.details ?? {}), retryAfterMs, failures })
        : err;
    }
    throw err;
  }
  if (attempts.failures > 0) await store.commit({ deletes: [PIN_ATTEMPTS_KEY] });
  return openWithDataKey(store, dataKey);
}

/**
 * Opens a profile's sealed records with its data key (after the PIN or an API key unwrapped it) and
 * migrates them to the current format.
 *
 * @throws VollyError VOLLY_E_PROFILE_MISSING
 */
export async function openWithDataKey(store: ClientStore, dataKey: Uint8Array): Promise<UnlockedProfile> {
  const stores = new Stores(new Vault(store, dataKey));
  const profile = await stores.profile.get();
  if (!profile) throw new VollyError("VOLLY_E_PROFILE_MISSING");
  await migrateStores(stores);
  const identity: DeviceIdentity = {
    signaturePublicKey: fromBase64Url(profile.signaturePublicKey),
    signaturePrivateKey: fromBase64Url(profile.signaturePrivateKey),
  };
  return unlocked(profile, identity, stores);
}

async function readAttempts(store: ClientStore): Promise<PinAttempts> {
  const raw = await store.get(PIN_ATTEMPTS_KEY);
  if (!raw) return { failures: 0, lastAt: 0 };
  try {
    const parsed = JSON.parse(new TextDecoder().decode(raw)) as Partial<PinAttempts>;
    const failures = Number.isInteger(parsed.failures) && (parsed.failures ?? 0) > 0 ? parsed.failures! : 0;
    const lastAt = typeof parsed.lastAt === "number" && Number.isFinite(parsed.lastAt) ? parsed.lastAt : 0;
    return { failures, lastAt };
  } catch {
    // A counter that does not parse (tampered with): slow the next attempt down, as after 3 failures.
    return { failures: PIN_BACKOFF.freeAttempts, lastAt: 0 };
  }
}

/**
 * Normalises one server URL or a list of them (preferred first) to distinct origins.
 * Throws VOLLY_E_USAGE for an empty list or a value that is not a URL.
 */
export function serverOrigins(urls: string | readonly string[]): string[] {
  const list = typeof urls === "string" ? [urls] : urls;
  const origins = list.map((url) => {
    try {
      return new URL(url).origin;
    } catch {
      throw new VollyError("VOLLY_E_USAGE", `Not a server URL: ${url}`);
    }
  });
  if (origins.length === 0) throw new VollyError("VOLLY_E_USAGE", "At least one server URL is needed.");
  return [...new Set(origins)];
}

/** The server origins a profile connects to, the preferred one first (at least one). */
export function profileServerUrls(profile: ProfileRecord): string[] {
  return profile.serverUrls?.length ? [...profile.serverUrls] : [profile.serverUrl];
}

/** True when the store holds a profile. */
export async function hasProfile(store: ClientStore): Promise<boolean> {
  return (await store.get(KEYSTORE_KEY)) !== undefined;
}
