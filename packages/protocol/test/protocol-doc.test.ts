import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DISPATCH_EVENTS, ERROR_CODES, GatewayOp, LIMITS, ROUTES } from "../src/index.js";

// The generator imports packages/protocol/dist; tests run after `tsc -b`, so it exists.
const generatorUrl = new URL("../../../scripts/generate-protocol-doc.mjs", import.meta.url);
const docPath = fileURLToPath(new URL("../../../docs/protocol.md", import.meta.url));

/** A table row starting with these cells (Biome pads table cells to align columns). */
function row(...cells: string[]): RegExp {
  const escaped = cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^\\| *${escaped.join(" *\\| *")} *\\|`, "m");
}

async function render(): Promise<string> {
  const generator = (await import(generatorUrl.href)) as { renderProtocolDoc: () => string };
  return generator.renderProtocolDoc();
}

describe("docs/protocol.md", () => {
  it("is up to date with packages/protocol", async () => {
    const committed = readFileSync(docPath, "utf8");
    expect(committed, "docs/protocol.md is stale: run `npm run docs`").toBe(await render());
  });

  it("is deterministic", async () => {
    expect(await render()).toBe(await render());
  });

  it("lists every error code", () => {
    const doc = readFileSync(docPath, "utf8");
    for (const code of Object.keys(ERROR_CODES)) {
      expect(doc, `${code} missing from docs/protocol.md`).toContain(`\`${code}\``);
    }
  });

  it("documents every opcode, dispatch event, route and limit", () => {
    const doc = readFileSync(docPath, "utf8");
    expect(doc).toContain("Generated from packages/protocol by `npm run docs`; do not edit by hand.");
    for (const [name, op] of Object.entries(GatewayOp)) expect(doc).toMatch(row(String(op), name));
    for (const name of Object.keys(DISPATCH_EVENTS)) expect(doc).toContain(`### ${name}\n`);
    for (const route of Object.values(ROUTES)) expect(doc).toContain(`### \`${route.method} ${route.path}\``);
    for (const key of Object.keys(LIMITS)) expect(doc).toMatch(row(`\`${key}\``));
  });
});
