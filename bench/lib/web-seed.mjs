/**
 * Seeding a browser profile with a big account's history for the web-start benchmark: bundles
 * `web-seed-entry.mjs` (the SDK's own sealed record stores over IndexedDB) with rolldown into one
 * script and runs it in a page of the app's origin.
 */
import { resolve } from "node:path";
import { rolldown } from "rolldown";

const ENTRY = resolve(import.meta.dirname, "web-seed-entry.mjs");

/** The seeding script: an IIFE defining `globalThis.VollySeed.seed` (see web-seed-entry.mjs). */
export async function seedScript() {
  const bundle = await rolldown({ input: ENTRY, platform: "browser", logLevel: "silent" });
  try {
    const { output } = await bundle.generate({ format: "iife", name: "VollySeed" });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}

/**
 * Seeds the profile the app at `page` created (see `seed` in web-seed-entry.mjs for `options`).
 * The page must be of the app's origin; the app's own client should be locked or not yet unlocked.
 * @param {import("playwright-core").Page} page
 * @returns {Promise<{bigConversationId: string, conversations: number, messages: number, ms: number}>}
 */
export async function seedProfile(page, options) {
  // Evaluated through the DevTools protocol, which the app's CSP (no inline scripts) does not cover.
  await page.evaluate(await seedScript());
  return page.evaluate((o) => globalThis.VollySeed.seed(o), options);
}
