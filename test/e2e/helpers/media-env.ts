import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { type ServerProcess, startServerProcess } from "../../integration/helpers/server-process.js";
import { FAKE_MEDIA_ARGS, launchChromium } from "./chromium.js";
import { acquireMediaLock } from "./media-lock.js";

const WEB_INDEX = resolve(import.meta.dirname, "../../../packages/web/dist/index.html");

/** What a Chromium media test file runs against (see {@link openMediaTestEnv}). */
export interface MediaTestEnv {
  server: ServerProcess;
  browser: Browser;
  /** Closes the browser, stops the server and releases the media lock. */
  close(): Promise<void>;
}

/**
 * The set-up of a Chromium media test file (calls, voice channels): checks the web app is built,
 * takes the machine-wide media lock ({@link acquireMediaLock}), starts a real `volly serve` with
 * `serverEnv` and launches Chromium with fake camera and microphone. Call it in `beforeAll` with
 * `MEDIA_LOCK_HOOK_TIMEOUT_MS`, and `close()` in `afterAll`.
 *
 * @param serverEnv extra environment of the server (e.g. `VOLLY_SFU: "managed"`)
 * @throws Error when packages/web/dist is missing, the lock stays held, or a process fails to start
 *   (what was started is stopped and the lock released first)
 */
export async function openMediaTestEnv(serverEnv: Record<string, string> = {}): Promise<MediaTestEnv> {
  if (!existsSync(WEB_INDEX)) throw new Error("packages/web/dist is missing: run `npm run build`");
  const release = await acquireMediaLock();
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(undefined, 0, serverEnv);
    const browser = await launchChromium(FAKE_MEDIA_ARGS);
    const started = server;
    return {
      server: started,
      browser,
      async close() {
        await browser.close();
        await started.stop();
        release();
      },
    };
  } catch (error) {
    await server?.stop();
    release();
    throw error;
  }
}
