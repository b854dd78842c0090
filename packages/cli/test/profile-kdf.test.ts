import { describe, expect, it } from "vitest";
import { kdfOption, profileKdf } from "../src/profile-kdf.js";

describe("the test-only profile KDF setting", () => {
  it("is the SDK default (no override) when VOLLY_INSECURE_TEST_KDF is unset or empty", () => {
    expect(profileKdf({ NODE_ENV: "test" })).toBeUndefined();
    expect(profileKdf({ NODE_ENV: "production", VOLLY_INSECURE_TEST_KDF: "" })).toBeUndefined();
    expect(kdfOption({})).toEqual({});
  });

  it("gives the cheap Argon2id only under NODE_ENV=test", () => {
    expect(kdfOption({ NODE_ENV: "test", VOLLY_INSECURE_TEST_KDF: "1" })).toEqual({
      kdf: { memoryKiB: 1024, iterations: 1 },
    });
  });

  it("is refused outside NODE_ENV=test, or with any other value, so a real profile is never weakened", () => {
    for (const env of [
      { VOLLY_INSECURE_TEST_KDF: "1" },
      { NODE_ENV: "production", VOLLY_INSECURE_TEST_KDF: "1" },
      { NODE_ENV: "development", VOLLY_INSECURE_TEST_KDF: "1" },
      { NODE_ENV: "test", VOLLY_INSECURE_TEST_KDF: "yes" },
    ]) {
      expect(() => profileKdf(env)).toThrow(expect.objectContaining({ code: "VOLLY_E_USAGE" }));
    }
  });
});
