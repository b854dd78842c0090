#!/usr/bin/env node
/**
 * Measures the web app as a new user meets it; builds nothing (run `npm run build` first).
 *
 *   node scripts/measure-web.mjs
 *
 * Starts a real `volly serve` on a free port with a temporary data directory, drives Debian's
 * Chromium with playwright-core, and prints one JSON object:
 *
 * - firstLoadJs: every JS file the page (and its workers) requested on first load — from
 *   navigation until the network has been quiet for 1.5 s with no user input — with the sum of
 *   their gzip sizes (zlib, level 9).
 * - timeToFirstMessageMs: a scripted new user's machine time from opening an invite link to their
 *   first message being stored by the server (status "sent"): page load, onboarding (name, the
 *   suggested handle, PIN; the identity and Argon2id keystore are made; the recovery key confirmed),
 *   accepting the invite (an MLS group with the inviter), encrypting and sending. Typing is instant, so this is machine time.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS as ARGS, CHROMIUM_PATH as CHROMIUM } from "../bench/lib/chromium.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "packages/cli/dist/bin.js");
const WEB_INDEX = join(ROOT, "packages/web/dist/index.html");

for (const [path, hint] of [
  [CLI, "run `npm run build`"],
  [WEB_INDEX, "run `npm run build`"],
  [CHROMIUM, "install it with `apt-get install chromium`"],
]) {
  if (!existsSync(path)) {
    console.error(`${path} is missing: ${hint}`);
    process.exit(1);
  }
}

async function startServer(dataDir) {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--port", "0", "--host", "127.0.0.1", "--data", dataDir],
    {
      env: { ...process.env, VOLLY_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (chunk) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { url, child };
}

/** Resolves once no request has started or finished for `quietMs`. */
function networkQuiet(context, quietMs) {
  return new Promise((resolveQuiet) => {
    let timer = setTimeout(done, quietMs);
    function bump() {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    }
    function done() {
      context.off("request", bump);
      context.off("requestfinished", bump);
      resolveQuiet();
    }
    context.on("request", bump);
    context.on("requestfinished", bump);
  });
}

async function onboard(page, name, pin) {
  await page.getByLabel("Your name").fill(name);
  await page.waitForFunction(() => (document.getElementById("handle")?.value ?? "").length >= 3);
  await page.getByLabel("Choose a 6-digit PIN").fill(pin);
  await page.getByRole("button", { name: "Continue" }).click();
  // The recovery key is shown once and must be confirmed (part of every new user's onboarding).
  await page.getByLabel("I stored my recovery key").check({ timeout: 60_000 });
  await page.getByTestId("recovery-key-done").click();
  await page.getByRole("button", { name: "Invite someone" }).first().waitFor({ timeout: 60_000 });
}

const dataDir = mkdtempSync(join(tmpdir(), "volly-measure-"));
const server = await startServer(dataDir);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
try {
  // 1. first load: the JS a new visitor's browser fetches
  const first = await browser.newContext();
  const jsResponses = [];
  first.on("response", (res) => {
    const type = res.headers()["content-type"] ?? "";
    if (/javascript/.test(type) || /\.m?js(\?|$)/.test(new URL(res.url()).pathname)) jsResponses.push(res);
  });
  const page = await first.newPage();
  const quiet = networkQuiet(first, 1_500);
  await page.goto(server.url, { waitUntil: "load" });
  await page.getByLabel("Your name").waitFor();
  await quiet;
  const files = [];
  for (const res of jsResponses) {
    const body = await res.body();
    files.push({
      path: new URL(res.url()).pathname,
      bytes: body.length,
      gzipBytes: gzipSync(body, { level: 9 }).length,
    });
  }
  const gzipTotal = files.reduce((n, f) => n + f.gzipBytes, 0);

  // 2. time to first message for a new user arriving with an invite link
  await onboard(page, "Inviter Person", "111111");
  await page.getByTestId("open-invite").click();
  const link = await page.getByLabel("Invite link").inputValue();

  const second = await browser.newContext();
  const newcomer = await second.newPage();
  const started = performance.now();
  await newcomer.goto(link, { waitUntil: "load" });
  await onboard(newcomer, "New Person", "222222");
  await newcomer.getByTestId("composer").waitFor({ timeout: 60_000 });
  await newcomer.getByTestId("composer").fill("Hello!");
  await newcomer.getByTestId("composer").press("Enter");
  await newcomer.waitForFunction(
    () => {
      const status = document.querySelector("[data-testid=message-status]");
      return status && status.getAttribute("data-status") !== "pending";
    },
    undefined,
    { timeout: 60_000 },
  );
  const timeToFirstMessageMs = Math.round(performance.now() - started);

  console.log(
    JSON.stringify(
      {
        firstLoadJs: {
          files: files.length,
          gzipBytes: gzipTotal,
          gzipKiB: Math.round(gzipTotal / 102.4) / 10,
          list: files,
        },
        timeToFirstMessageMs,
        budget: { firstLoadJsGzipKiB: 250, withinBudget: gzipTotal <= 250 * 1024 },
        chromium: browser.version(),
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  server.child.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
}
