import {
  type ApiKeyKeystore,
  openKeystore,
  type SealedKeystore,
  unwrapDataKeyWithApiKey,
  wrapDataKeyForApiKey,
} from "@volly/crypto";
import { assertWellFormedApiKey, utf8, VollyError } from "@volly/protocol";
import type { ClientStore } from "../storage/client-store.js";
import { API_KEYSTORE_KEY, KEYSTORE_KEY } from "../storage/store-keys.js";
import { openWithDataKey, type UnlockedProfile } from "./profile.js";

/**
 * What KEYSTORE_KEY holds once a profile opens with its API key only (`pin: "remove"`): a marker,
 * not a keystore, so no PIN opens it (a 6-digit PIN would be a 20-bit secret beside a 190-bit key).
 */
const NO_PIN = { v: 0, note: "this profile opens with its API key only" };

async function readJson<T>(store: ClientStore, key: string): Promise<T | undefined> {
  const raw = await store.get(key);
  return raw ? (JSON.parse(new TextDecoder().decode(raw)) as T) : undefined;
}

/**
 * Wraps the profile's data key under `apiKey` too (HKDF-SHA256 of the key, XChaCha20-Poly1305), so
 * the profile opens unattended with the key: the device keys stay sealed at rest under it. The PIN
 * keeps working unless `options.removePin`, which replaces the PIN keystore by a marker no PIN
 * opens (a bot's profile that never had a person's PIN).
 *
 * @param pin the profile's PIN (to unwrap the data key)
 * @throws VollyError VOLLY_E_API_KEY_INVALID (malformed key), VOLLY_E_WRONG_PIN,
 *   VOLLY_E_PROFILE_MISSING
 */
export async function sealProfileWithApiKey(
  store: ClientStore,
  pin: string,
  apiKey: string,
  options: { removePin?: boolean } = {},
): Promise<void> {
  assertWellFormedApiKey(apiKey);
  const keystore = await readJson<SealedKeystore>(store, KEYSTORE_KEY);
  if (!keystore) throw new VollyError("VOLLY_E_PROFILE_MISSING");
  const dataKey = await openKeystore(keystore, pin);
  await store.commit({
    puts: [
      { key: API_KEYSTORE_KEY, value: utf8(JSON.stringify(wrapDataKeyForApiKey(dataKey, apiKey))) },
      ...(options.removePin ? [{ key: KEYSTORE_KEY, value: utf8(JSON.stringify(NO_PIN)) }] : []),
    ],
  });
}

/**
 * Opens a profile with its API key (no PIN).
 *
 * @throws VollyError VOLLY_E_PROFILE_MISSING, VOLLY_E_PROFILE_LOCKED (the profile was never sealed
 *   under an API key), VOLLY_E_API_KEY_INVALID (malformed, or not the key it is sealed under)
 */
export async function unlockProfileWithApiKey(store: ClientStore, apiKey: string): Promise<UnlockedProfile> {
  assertWellFormedApiKey(apiKey);
  if (!(await store.get(KEYSTORE_KEY))) throw new VollyError("VOLLY_E_PROFILE_MISSING");
  const keystore = await readJson<ApiKeyKeystore>(store, API_KEYSTORE_KEY);
  if (!keystore) {
    throw new VollyError(
      "VOLLY_E_PROFILE_LOCKED",
      "This profile is not sealed under an API key; unlock it with its PIN (volly apikey create seals it).",
    );
  }
  return openWithDataKey(store, unwrapDataKeyWithApiKey(keystore, apiKey));
}

/**
 * Re-seals a profile from `oldKey` to `newKey` (after a rotation): the data key is unwrapped with the
 * old key and wrapped under the new one, in one write.
 *
 * @throws VollyError as {@link unlockProfileWithApiKey}
 */
export async function resealProfileWithApiKey(
  store: ClientStore,
  oldKey: string,
  newKey: string,
): Promise<void> {
  assertWellFormedApiKey(newKey);
  const keystore = await readJson<ApiKeyKeystore>(store, API_KEYSTORE_KEY);
  if (!keystore)
    throw new VollyError("VOLLY_E_PROFILE_LOCKED", "This profile is not sealed under an API key.");
  const dataKey = unwrapDataKeyWithApiKey(keystore, assertWellFormedApiKey(oldKey));
  await store.commit({
    puts: [{ key: API_KEYSTORE_KEY, value: utf8(JSON.stringify(wrapDataKeyForApiKey(dataKey, newKey))) }],
  });
}
