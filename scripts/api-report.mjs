#!/usr/bin/env node
/**
 * The API report of `@volly/client`: one `packages/client/api/<entry>.api.md` per public entry
 * point of its package.json `exports` (".", "./node", "./browser", "./testing"), made by API
 * Extractor from the built declarations (run `npm run build` first).
 *
 *   node scripts/api-report.mjs            checks: exits 1 (and prints the diff) when the public
 *                                          surface differs from the checked-in report
 *   node scripts/api-report.mjs --update   rewrites the reports (`npm run api:update`)
 *
 * API Extractor takes one entry point per run, so this runs it once per entry, all runs sharing one
 * TypeScript program (the expensive part). In the main entry's report, `ae-forgotten-export` marks a
 * type the public surface uses but does not export (an internal leaking out); the other entries
 * use the main entry's types (`VollyClient`, `ClientStore`, …), so there that warning would only
 * say "exported by `@volly/client`, not by this subpath" and is left out.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CompilerState, Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const PACKAGE_DIR = resolve(import.meta.dirname, "../packages/client");
const CONFIG_PATH = join(PACKAGE_DIR, "api-extractor.json");
const PACKAGE_JSON = join(PACKAGE_DIR, "package.json");
const update = process.argv.includes("--update");

/** `[reportName, absolute .d.ts path]` for every entry of the package's `exports`. */
function entryPoints() {
  const { exports } = JSON.parse(readFileSync(PACKAGE_JSON, "utf8"));
  return Object.entries(exports).map(([subpath, target]) => {
    const name = subpath === "." ? "index" : subpath.replace(/^\.\//, "");
    const types = resolve(PACKAGE_DIR, target.types);
    if (!existsSync(types)) {
      console.error(`${types} is missing: run \`npm run build\` first.`);
      process.exit(1);
    }
    return [name, types];
  });
}

const started = performance.now();
const base = ExtractorConfig.loadFile(CONFIG_PATH);
const entries = entryPoints();
let compilerState;
/** Entries whose report differs (check) or whose analysis reported errors (both modes). */
const failed = [];
for (const [name, types] of entries) {
  const extractorMessages = base.messages.extractorMessageReporting;
  const config = ExtractorConfig.prepare({
    configObject: {
      ...base,
      mainEntryPointFilePath: types,
      apiReport: { ...base.apiReport, reportFileName: name },
      messages: {
        ...base.messages,
        extractorMessageReporting:
          name === "index"
            ? extractorMessages
            : {
                ...extractorMessages,
                "ae-forgotten-export": { logLevel: "none", addToApiReportFile: false },
              },
      },
    },
    configObjectFullPath: CONFIG_PATH,
    packageJsonFullPath: PACKAGE_JSON,
  });
  compilerState ??= CompilerState.create(config, { additionalEntryPoints: entries.map(([, t]) => t) });
  const result = Extractor.invoke(config, {
    localBuild: update,
    compilerState,
    printApiReportDiff: !update,
    showVerboseMessages: false,
    messageCallback: (message) => {
      // "Analysis will use the bundled TypeScript version …", once per entry: noise in `npm test`
      if (message.messageId === "console-preamble") message.handled = true;
    },
  });
  if (!result.succeeded) failed.push(name);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failed.length > 0) {
  console.error(
    update
      ? `API Extractor reported errors for @volly/client (${failed.join(", ")}); see above.`
      : `The public API of @volly/client changed (${failed.join(", ")}), or API Extractor reported ` +
          "errors (see above). If the change is intended, run `npm run api:update` and commit " +
          "packages/client/api/.",
  );
  process.exit(1);
}
console.log(
  `API report of @volly/client ${update ? "updated" : "matches"} (${entries.length} entry points, ${seconds} s).`,
);
