#!/usr/bin/env node
// The `volly` command's entry point. It is committed, not built, so that `npm install` on a fresh
// clone finds it when it links node_modules/.bin/volly — which happens before the root `prepare`
// script builds packages/cli/dist. It only loads the built CLI.
import { existsSync } from "node:fs";

const cli = new URL("../dist/bin.js", import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write("volly is not built yet: run `npm run build` in the repository, then try again.\n");
  process.exitCode = 1;
}
