import type { CreateProfileOptions } from "@volly/client";
import { VollyError } from "@volly/protocol";

/** Argon2id cost for test runs only: 1 MiB, 1 pass (the CLI's and the SDK tests' test cost). */
const INSECURE_TEST_KDF = { memoryKiB: 1024, iterations: 1 } as const;

/**
 * The Argon2id cost a new bot profile is sealed with: `{}` (the SDK default, 64 MiB / 3 passes)
 * unless the test suite asked for a cheap one with `VOLLY_INSECURE_TEST_KDF=1` under
 * `NODE_ENV=test` — the same rule as the CLI's `profileKdf` (packages/cli/src/profile-kdf.ts), so a
 * bot process started by a test does not pay a 64 MiB Argon2id. Opening a profile always uses the
 * parameters stored in its keystore, so this affects only profile creation.
 *
 * @param env the process environment (a parameter for tests)
 * @returns the `kdf` option of `initNodeProfile`, or `{}`
 * @throws VollyError VOLLY_E_USAGE when `VOLLY_INSECURE_TEST_KDF` is set outside `NODE_ENV=test`
 */
export function botKdfOption(env: NodeJS.ProcessEnv = process.env): Pick<CreateProfileOptions, "kdf"> {
  const flag = env.VOLLY_INSECURE_TEST_KDF;
  if (flag === undefined || flag === "") return {};
  if (env.NODE_ENV !== "test" || flag !== "1") {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "VOLLY_INSECURE_TEST_KDF is for the test suite only (it needs NODE_ENV=test); unset it.",
    );
  }
  return { kdf: INSECURE_TEST_KDF };
}
