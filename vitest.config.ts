import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // Integration, multi-node and browser tests drive real processes; on 2 busy cores a few take
    // over a minute. Every test is bounded by its own loops, so a generous ceiling only slows failures.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
