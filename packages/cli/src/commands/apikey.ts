import { resealNodeProfileWithApiKey } from "@volly/client/node";
import { API_KEY_SCOPES, type ApiKeyInfo, type ApiKeyScope, Id, matches, VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { resolveApiKey, writeApiKeyFile } from "../api-key-source.js";
import { type GlobalOptions, parseDuration, profileDir } from "../options.js";
import type { Output, Run } from "../output.js";
import { withClient } from "../with-client.js";

/** Parses `--scope send,read,manage`. @throws VollyError VOLLY_E_USAGE */
function parseScopes(value: string): ApiKeyScope[] {
  const scopes = value.split(",").map((s) => s.trim());
  for (const s of scopes) {
    if (!API_KEY_SCOPES.includes(s as ApiKeyScope)) {
      throw new VollyError("VOLLY_E_USAGE", `Unknown scope ${s} (send, read, manage).`);
    }
  }
  return [...new Set(scopes)] as ApiKeyScope[];
}

function keyId(value: string): string {
  if (!matches(Id, value)) throw new VollyError("VOLLY_E_USAGE", `Not an API key id: ${value}`);
  return value;
}

const when = (ms: number | undefined) => (ms === undefined ? "never" : new Date(ms).toISOString());

function printInfo(out: Output, k: ApiKeyInfo): void {
  const state = k.revokedAt !== undefined ? " revoked" : k.replacedBy !== undefined ? " rotated" : "";
  out.result(
    k,
    `${k.id}  ${k.hint}…  ${k.name}  [${k.scopes.join(",")}]  expires ${when(k.expiresAt)}  last used ${when(k.lastUsedAt)}${state}`,
  );
}

/**
 * `volly apikey create [--name N] [--scope send,read,manage] [--expires 90d]` (prints the key once),
 * `volly apikey list`, `volly apikey revoke ID`, `volly apikey rotate ID [--overlap 24h]`. A rotation
 * run with the key being rotated (VOLLY_API_KEY / --api-key-file) re-seals this profile under the new
 * key and rewrites --api-key-file.
 */
export function registerApiKey(program: Command, run: Run) {
  const apikey = program.command("apikey").description("API keys of this account, for its bots and services");
  apikey
    .command("create")
    .description("create an API key and print it once")
    .option("--name <name>", "a label for the key", "cli")
    .option("--scope <scopes>", "comma-separated: send, read, manage", "send,read,manage")
    .option("--expires <duration>", "expire after e.g. 90d, 12h (default never)")
    .action((o: { name: string; scope: string; expires?: string }) =>
      run(async (out, g) => {
        const scopes = parseScopes(o.scope);
        const expiresAt = o.expires !== undefined ? Date.now() + parseDuration(o.expires) : undefined;
        const created = await withClient(g, (c) =>
          c.apiKeys.create({ name: o.name, scopes, ...(expiresAt !== undefined ? { expiresAt } : {}) }),
        );
        out.result(
          { key: created.key, ...created.info },
          `${created.key}\n(shown this once; id ${created.info.id}, scopes ${scopes.join(",")}, expires ${when(expiresAt)})`,
        );
      }),
    );
  apikey
    .command("list")
    .description("list this account's API keys (never the keys themselves)")
    .action(() =>
      run(async (out, g) => {
        for (const k of await withClient(g, (c) => c.apiKeys.list())) printInfo(out, k);
      }),
    );
  apikey
    .command("revoke <id>")
    .description("revoke an API key now")
    .action((id: string) =>
      run(async (out, g) => printInfo(out, await withClient(g, (c) => c.apiKeys.revoke(keyId(id))))),
    );
  apikey
    .command("rotate <id>")
    .description("replace an API key; the old one works until the overlap ends")
    .option("--overlap <duration>", "how long the old key keeps working, e.g. 24h", "24h")
    .action((id: string, o: { overlap: string }) =>
      run(async (out, g) => rotate(out, g, keyId(id), parseDuration(o.overlap))),
    );
}

async function rotate(out: Output, g: GlobalOptions, id: string, overlapMs: number): Promise<void> {
  const current = resolveApiKey(g);
  const { created, usedOld } = await withClient(g, async (c) => {
    const list = current !== undefined ? await c.apiKeys.list() : [];
    const mine = list.find((k) => current?.startsWith(k.hint) && k.id === id) !== undefined;
    return { created: await c.apiKeys.rotate(id, overlapMs), usedOld: mine };
  });
  if (current !== undefined && usedOld) {
    await resealNodeProfileWithApiKey(profileDir(g), current, created.key);
    if (g.apiKeyFile !== undefined && !process.env.VOLLY_API_KEY) writeApiKeyFile(g.apiKeyFile, created.key);
  }
  out.result(
    { key: created.key, ...created.info, resealed: current !== undefined && usedOld },
    `${created.key}\n(shown this once; the old key works for ${Math.round(overlapMs / 1000)} s more` +
      (usedOld ? "; this profile now opens with the new key)" : ")"),
  );
}
