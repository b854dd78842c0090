/**
 * Driving the built web app in the browser benchmarks (calls, voice channels): a new browser
 * context with the microphone and camera granted and the calls debug handles on, and onboarding as
 * the e2e tests do it (test/e2e/helpers/web-app.ts, which TypeScript keeps apart).
 */

/** How long one step in the app (a screen to show, a call to connect) may take before the run fails (ms). */
export const STEP_TIMEOUT_MS = 60_000;

/**
 * Opens `url` in a new context of `browser` with camera and microphone granted to `origin`, the
 * calls debug flag set (the app then exposes `window.__vollyCall` and `window.__vollyVoice`, as in
 * the e2e tests) and each of `initScripts` (functions run in every page before the app).
 * @returns {Promise<import("playwright-core").Page>}
 */
export async function openApp(browser, url, origin, initScripts = []) {
  const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, locale: "en-GB" });
  await context.grantPermissions(["camera", "microphone"], { origin });
  await context.addInitScript(() => localStorage.setItem("volly.debug.calls", "1"));
  for (const script of initScripts) await context.addInitScript(script);
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/**
 * Onboarding as test/e2e/helpers/web-app.ts `onboard` does it: name, suggested handle, PIN,
 * recovery key; returns once the app's home shows.
 */
export async function onboard(page, name, pin) {
  await page.getByLabel("Your name").fill(name);
  await page.waitForFunction(() => (document.getElementById("handle")?.value ?? "").length >= 3);
  await page.getByLabel("Choose a 6-digit PIN").fill(pin);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("I stored my recovery key").check({ timeout: STEP_TIMEOUT_MS });
  await page.getByTestId("recovery-key-done").click();
  await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: STEP_TIMEOUT_MS });
}
