import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { migrateConfiguredStore } from "../src/migrate.js";
import { MIGRATIONS } from "../src/store/migrations/migrate.js";

describe("migrateConfiguredStore (`volly migrate`), embedded store", () => {
  it("creates the data directory and database, applies every migration once, then nothing", async () => {
    const { dir, remove } = removableTempDir();
    try {
      const config = { ...DEFAULT_CONFIG, dataDir: `${dir}/data` };
      expect(await migrateConfiguredStore(config)).toEqual({
        backend: "sqlite",
        location: `${dir}/data/volly.db`,
        applied: Object.keys(MIGRATIONS).sort(),
      });
      expect(existsSync(`${dir}/data/volly.db`)).toBe(true);
      expect((await migrateConfiguredStore(config)).applied).toEqual([]);
    } finally {
      remove();
    }
  });
});
