#!/usr/bin/env node
import { statSync } from "node:fs";

/**
 * The `volly` entry point. It runs the bundled CLI (`packages/cli/bundle/`, made by `npm run build`
 * from the compiled packages: a few files instead of ~700 modules, so a command starts in about a
 * third of the time) when the bundle is newer than every package it is made from, and the compiled
 * modules (`dist/main.js`) otherwise — after a `tsc -b` that was not followed by `npm run
 * bundle:cli`, or with `VOLLY_CLI_UNBUNDLED=1`.
 */
const modified = (url: URL): number | undefined => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return undefined;
  }
};
const bundle = new URL("../bundle/main.js", import.meta.url);
const bundled = modified(bundle);
const fresh =
  bundled !== undefined &&
  process.env.VOLLY_CLI_UNBUNDLED !== "1" &&
  ["cli", "client", "protocol", "crypto", "bot"].every(
    (name) => (modified(new URL(`../../${name}/dist/.tsbuildinfo`, import.meta.url)) ?? 0) <= bundled,
  );
await import(fresh ? bundle.href : new URL("./main.js", import.meta.url).href);
