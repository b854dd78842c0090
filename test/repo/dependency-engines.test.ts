import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

interface LockEntry {
  version?: string;
  engines?: Record<string, string> | string[];
}

const rootManifest = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(resolve(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};

describe("dependencies and the Node version we declare", () => {
  it("every locked package supports the oldest Node that package.json's engines allows (no EBADENGINE)", () => {
    const oldest = semver.minVersion(rootManifest.engines.node);
    expect(oldest, `engines.node ${rootManifest.engines.node}`).not.toBeNull();
    const unsupported: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || !path.includes("node_modules/")) continue;
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (range === undefined) continue;
      if (!semver.satisfies(oldest!, range, { includePrerelease: true })) {
        unsupported.push(`${path}@${entry.version}: node ${range}`);
      }
    }
    expect(unsupported, `these need a newer Node than ${oldest}`).toEqual([]);
  });
});
