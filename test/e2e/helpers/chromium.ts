import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`); the browser tests drive it with playwright-core. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Whether the browser tests run here. With `CI=true` a missing Chromium is a failure (the tests run
 * and fail on launch); elsewhere they are skipped with a note saying how to install it.
 */
export function browserTestsEnabled(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === "true") return true;
  console.warn(
    `Skipping the web app's browser tests: ${CHROMIUM_PATH} is missing. Install it with \`apt-get install chromium\`.`,
  );
  return false;
}

/**
 * Chromium's fake microphone and camera (a beeping tone and a test pattern), granted without a
 * prompt: what a test that records a voice message needs (with the "microphone" permission).
 */
export const FAKE_MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"];

/** Launches Debian's Chromium headless, with `extraArgs` after the usual ones. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install it with \`apt-get install chromium\`.`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
