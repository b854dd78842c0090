import { relative } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Vitest's order (the last run's failures first, then the longest files, when its results cache has
 * them), except on a run without that cache — a fresh clone, CI — where Vitest falls back to file
 * size: there the files under test/ (real server processes, the CLI, Chromium: the slowest, 1–4 min
 * each on busy cores) start before the package unit tests, so no slow file is left to run alone at
 * the end while the other worker idles.
 */
class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const path = (f: TestSpecification) => relative(root, f.moduleId);
    const cached = sorted.every((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${path(f)}`));
    if (cached) return sorted;
    const slow = (f: TestSpecification) => path(f).startsWith("test/");
    return [...sorted.filter(slow), ...sorted.filter((f) => !slow(f))];
  }
}

export default defineConfig({
  test: {
    // Integration, multi-node and browser tests drive real processes; on 2 busy cores a few take
    // over a minute. Every test is bounded by its own loops, so a generous ceiling only slows failures.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SlowFilesFirst },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          // One worker runs file after file in the same process, so the workspace packages and their
          // dependencies load once per worker rather than once per file (~2 s of CPU each). These
          // tests leave no global state behind (fake timers, stubbed globals and env are restored).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "system",
          // Real server processes, the CLI, Chromium: each file in a fresh process.
          include: ["test/**/*.test.ts"],
        },
      },
    ],
  },
});
