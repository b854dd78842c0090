import type { KdfParams } from "@volly/crypto";
import { VollyError } from "@volly/protocol";

/** Argon2id cost for test runs only: 1 MiB, 1 pass (the SDK tests' `TEST_KDF`). Never for real profiles. */
const INSECURE_TEST_KDF = { memoryKiB: 1024, iterations: 1 } as const;

/**
 * The Argon2id cost `volly init`, `volly init --link` and `volly recover` seal a new profile with:
 * `undefined` (the SDK default, 64 MiB / 3 passes) unless the test suite asked for a cheap one.
 *
 * The test suite sets `VOLLY_INSECURE_TEST_KDF=1` together with `NODE_ENV=test` (what Vitest sets
 * and its child processes inherit), so the hundreds of CLI runs in the integration tests do not
 * each pay a 64 MiB Argon2id on every unlock. The variable is honoured only under `NODE_ENV=test`;
 * anywhere else it is refused, so a stray setting cannot quietly weaken a real profile. Opening a
 * profile always uses the parameters stored in its keystore, so this affects only profile creation.
 *
 * @param env the process environment (a parameter for tests)
 * @returns the KDF cost override, or `undefined` for the default
 * @throws VollyError VOLLY_E_USAGE when `VOLLY_INSECURE_TEST_KDF` is set outside `NODE_ENV=test`
 */
export function profileKdf(
  env: NodeJS.ProcessEnv = process.env,
): Partial<Omit<KdfParams, "alg" | "salt">> | undefined {
  const flag = env.VOLLY_INSECURE_TEST_KDF;
  if (flag === undefined || flag === "") return undefined;
  if (env.NODE_ENV !== "test" || flag !== "1") {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "VOLLY_INSECURE_TEST_KDF is for the test suite only (it needs NODE_ENV=test); unset it.",
    );
  }
  return INSECURE_TEST_KDF;
}

/**
 * {@link profileKdf} as the `kdf` option of `initNodeProfile` / `linkNodeProfile` /
 * `recoverNodeProfile`: `{ kdf }` under the test setting, else `{}` (the SDK default).
 *
 * @throws VollyError VOLLY_E_USAGE as {@link profileKdf}
 */
export function kdfOption(env: NodeJS.ProcessEnv = process.env): {
  kdf?: Partial<Omit<KdfParams, "alg" | "salt">>;
} {
  const kdf = profileKdf(env);
  return kdf === undefined ? {} : { kdf };
}
