import { relative } from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
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

/**
 * The Chromium media files: live audio and video (fake camera and microphone, VP8/Opus encoded,
 * SFrame-sealed, decoded) in two to five pages each, about a core each on their own. Two of them at
 * once, or one beside two other busy files, starve each other's decoders on 2 cores (frames stop
 * for seconds). Project `media` runs them one file at a time (`maxWorkers: 1`) after every other
 * file of the run (`sequence.groupOrder`); alone: `npm run test:media`. They also take the
 * machine-wide media lock (`test/e2e/helpers/media-lock.ts`) against another run on the same
 * machine.
 */
const MEDIA_FILES = [
  "test/e2e/web-call.test.ts",
  "test/e2e/web-group-call.test.ts",
  "test/e2e/web-call-paths.test.ts",
  "test/e2e/node-call-participant.test.ts",
  "test/e2e/web-voice-channel.test.ts",
  "test/e2e/web-voice-video.test.ts",
];

/**
 * Files that are stages of their own, each run by its own command: the chaos tests (after the rest
 * of `npm test`), the five-person two-minute voice channel (`npm run test:voice-five`, ~3 min, run
 * by `.ci/run`) and the fresh clone (`npm run test:fresh-clone`: the committed HEAD, run by
 * `.ci/run`). Projects rather than `--exclude` flags: Vitest applies a command line's `--exclude`
 * to the root only, not to projects that set their own `include`.
 */
const STAGES = {
  chaos: ["test/chaos/**/*.test.ts"],
  "voice-five": ["test/e2e/web-voice-channel-five.test.ts"],
  "fresh-clone": ["test/fresh-clone/**/*.test.ts"],
};

export default defineConfig({
  test: {
    // Integration, multi-node and browser tests drive real processes; on 2 busy cores a few take
    // over a minute. Every test is bounded by its own loops, so a generous ceiling only slows failures.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    // Three files at a time on the 2-core machine (the media files one at a time, see MEDIA_FILES):
    // the system tests mostly wait (server and CLI processes starting, conditions polled), ~0.8 of a
    // core on average with two workers. Main stage: 690 s with three workers (2026-12-05, quiet
    // machine) against 1,311 s with two in CI.
    maxWorkers: 3,
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
          exclude: [...configDefaults.exclude, ...MEDIA_FILES, ...Object.values(STAGES).flat()],
        },
      },
      {
        extends: true,
        test: {
          name: "media",
          include: MEDIA_FILES,
          // after the other projects' files (group 0), one file at a time
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      },
      ...Object.entries(STAGES).map(([name, include]) => ({
        extends: true as const,
        test: {
          name,
          include,
          // the same group and worker count as `media`, so that a run of every project is valid
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      })),
    ],
  },
});
