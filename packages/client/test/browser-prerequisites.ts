import { existsSync } from "node:fs";

/** Debian's Chromium (`apt-get install chromium`); the browser tests drive it with playwright-core. */
export const CHROMIUM = "/usr/bin/chromium";

/** Something a browser test needs, and how to get it when it is missing. */
export interface Prerequisite {
  present: boolean;
  /** What is missing, e.g. "/usr/bin/chromium". */
  what: string;
  /** How to get it, e.g. "install it with `apt-get install chromium`". */
  fix: string;
}

/** Chromium at {@link CHROMIUM}. */
export const chromiumPrerequisite = (): Prerequisite => ({
  present: existsSync(CHROMIUM),
  what: CHROMIUM,
  fix: "install it with `apt-get install chromium`",
});

/** A file `npm run build` writes (e.g. the SDK's dist/browser.js). */
export const builtFile = (path: string): Prerequisite => ({
  present: existsSync(path),
  what: path,
  fix: "run `npm run build`",
});

/**
 * Decides whether a browser test suite runs here, like test/e2e/helpers/chromium.ts does for the
 * web app: with everything present it runs; with something missing it is skipped with a note
 * saying what to install — except under `CI=true`, where it runs and `failure` holds the message
 * its `beforeAll` throws, so CI cannot pass by skipping.
 */
export function browserSuite(
  suite: string,
  prerequisites: Prerequisite[],
): { skip: boolean; failure: string | undefined } {
  const missing = prerequisites.filter((p) => !p.present);
  if (missing.length === 0) return { skip: false, failure: undefined };
  const message = `${suite}: ${missing.map((p) => `${p.what} is missing: ${p.fix}`).join("; ")}.`;
  if (process.env.CI === "true") return { skip: false, failure: message };
  console.warn(`Skipping ${message}`);
  return { skip: true, failure: message };
}
