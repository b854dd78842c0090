import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers/temp-dir.js";
import { parseListenAddress } from "../src/daemon/listen-address.js";
import { authorizationMatches, loadOrCreateLocalKey } from "../src/daemon/local-key.js";
import { WebhookFlags } from "../src/daemon/webhook-flags.js";

const usage = expect.objectContaining({ code: "VOLLY_E_USAGE" });

describe("volly daemon --http", () => {
  it("takes loopback HOST:PORT", () => {
    expect(parseListenAddress("127.0.0.1:8787", false)).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(parseListenAddress("[::1]:0", false)).toEqual({ host: "::1", port: 0 });
    expect(parseListenAddress("localhost:9000", false)).toEqual({ host: "localhost", port: 9000 });
  });

  it("refuses other addresses unless --allow-non-loopback, and malformed ones always", () => {
    expect(() => parseListenAddress("0.0.0.0:8787", false)).toThrow(usage);
    expect(() => parseListenAddress("192.168.1.5:8787", false)).toThrow(/--allow-non-loopback/);
    expect(parseListenAddress("0.0.0.0:8787", true)).toEqual({ host: "0.0.0.0", port: 8787 });
    for (const bad of ["8787", "127.0.0.1", "127.0.0.1:99999", "example.com:80", "127.0.0.1:-1", ""]) {
      expect(() => parseListenAddress(bad, true), bad).toThrow(usage);
    }
  });
});

describe("volly daemon --webhook / --webhook-secret", () => {
  it("gives each secret to the --webhook before it, several for rotation", () => {
    const flags = new WebhookFlags();
    flags.url("https://a.example/hook");
    flags.secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    flags.secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    flags.url("http://127.0.0.1:9000/b");
    flags.secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    expect(flags.complete()).toEqual([
      {
        url: "https://a.example/hook",
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
      },
      { url: "http://127.0.0.1:9000/b", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] },
    ]);
  });

  it("refuses a secret before any --webhook, a non-whsec secret, a bad URL, an unsigned webhook", () => {
    expect(() => new WebhookFlags().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow(usage);
    const flags = new WebhookFlags();
    expect(() => flags.url("ftp://x")).toThrow(usage);
    expect(() => flags.url("not a url")).toThrow(usage);
    flags.url("https://a.example/hook");
    expect(() => flags.secret("hunter2")).toThrow(usage);
    expect(() => flags.complete()).toThrow(/needs a --webhook-secret/);
  });
});

describe("the daemon's local API key", () => {
  it("is created once with mode 0600 and read back after", async () => {
    const file = join(tempDir("volly-daemon-key-"), "sub", "daemon.key");
    const made = await loadOrCreateLocalKey(file);
    expect(made.created).toBe(true);
    expect(made.key).toMatch(/^vdk_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateLocalKey(file)).toEqual({ key: made.key, created: false });
  });

  it("refuses a key file holding something else", async () => {
    const file = join(tempDir("volly-daemon-key-"), "daemon.key");
    writeFileSync(file, "password\n");
    await expect(loadOrCreateLocalKey(file)).rejects.toThrow(usage);
  });

  it("matches exactly `Bearer KEY`", () => {
    const key = `vdk_${"a".repeat(43)}`;
    expect(authorizationMatches(`Bearer ${key}`, key)).toBe(true);
    for (const header of [
      undefined,
      "",
      key,
      `bearer ${key}`,
      `Bearer ${key} `,
      `Bearer ${key}x`,
      "Bearer ",
    ]) {
      expect(authorizationMatches(header, key), String(header)).toBe(false);
    }
  });
});
