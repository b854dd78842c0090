/**
 * web: wraps scripts/measure-web.mjs (a real `volly serve` and Debian's Chromium driven by
 * playwright-core) and reports its two figures. Needs `npm run build` and /usr/bin/chromium.
 *
 *   node bench/workloads/web.mjs [--quick]
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { runAsMain } from "../lib/main.mjs";

export const description =
  "The web app as a new visitor meets it, measured by scripts/measure-web.mjs in headless Chromium " +
  "against a real `volly serve` (fresh data directory, loopback). firstPageJsGzipKB: every JavaScript " +
  "file the first page and its workers request from navigation until the network has been quiet for " +
  "1.5 s, each gzipped (zlib level 9) and summed, in KiB. newUserToFirstMessageMs: machine time for a " +
  "scripted newcomer from opening an invite link to their first message being stored by the server " +
  "(page load, onboarding with identity generation and the Argon2id keystore, accepting the invite, " +
  "which creates an MLS group with the inviter, then encrypting and sending); typing is instant. " +
  "allJsGzipKB, for context, is every JS file of the build gzipped, including what loads lazily later.";

export const units = {
  firstPageJsGzipKB: "KiB gzip",
  firstPageJsFiles: "files",
  allJsGzipKB: "KiB gzip",
  newUserToFirstMessageMs: "ms",
};

export const targets = [
  {
    scenario: "new visitor",
    metric: "firstPageJsGzipKB",
    op: "<=",
    value: 250,
    label: "first-page JS ≤ 250 KB gzipped",
  },
];

export const defaultRuns = 3;

const SCRIPT = resolve(import.meta.dirname, "../../scripts/measure-web.mjs");
const ASSETS = resolve(import.meta.dirname, "../../packages/web/dist/assets");

/** Gzip size (level 9, bytes) of every JS file the web build ships, loaded up front or lazily. */
function allJsGzipBytes() {
  return readdirSync(ASSETS)
    .filter((f) => f.endsWith(".js"))
    .reduce((n, f) => n + gzipSync(readFileSync(join(ASSETS, f)), { level: 9 }).length, 0);
}

function measure() {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.stderr.on("data", (c) => {
      err = (err + c).slice(-8_000);
    });
    const forward = () => child.kill("SIGTERM");
    process.once("SIGTERM", forward);
    process.once("SIGINT", forward);
    child.once("exit", (code) => {
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
      if (code !== 0) return reject(new Error(`measure-web exited with ${code}:\n${err}`));
      try {
        resolveRun(JSON.parse(out));
      } catch {
        reject(new Error(`measure-web printed no JSON:\n${out}\n${err}`));
      }
    });
  });
}

async function run() {
  if (!existsSync("/usr/bin/chromium")) {
    throw new Error("/usr/bin/chromium is missing: apt-get install -y chromium fonts-noto-color-emoji");
  }
  const r = await measure();
  const files = r.firstLoadJs.list ?? [];
  const largest = [...files].sort((a, b) => b.gzipBytes - a.gzipBytes).slice(0, 3);
  const kib = (b) => (b / 1024).toFixed(1);
  return {
    scenarios: {
      "new visitor": {
        firstPageJsGzipKB: Number((r.firstLoadJs.gzipBytes / 1024).toFixed(1)),
        firstPageJsFiles: r.firstLoadJs.files,
        allJsGzipKB: Number((allJsGzipBytes() / 1024).toFixed(1)),
        newUserToFirstMessageMs: r.timeToFirstMessageMs,
      },
    },
    notes: [
      `KB here is KiB (1,024 bytes), as scripts/measure-web.mjs counts its 250 KiB budget. Largest first-load files (gzip): ${largest.map((f) => `${f.path} ${kib(f.gzipBytes)} KiB`).join(", ")}.`,
      `Chromium ${r.chromium}.`,
    ],
  };
}

runAsMain(import.meta.url, run);
