import { type LinkClaim, profileServerUrls } from "@volly/client";
import { initNodeProfile, linkNodeProfile, profileExists } from "@volly/client/node";
import { parseLinkCode } from "@volly/crypto";
import { EntityType, matches, VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { finishKeySetup, newProfilePin } from "../api-key-source.js";
import { printable } from "../format.js";
import { type GlobalOptions, profileDir } from "../options.js";
import type { Output, Run } from "../output.js";
import { kdfOption } from "../profile-kdf.js";
import { describeServers, resolveServerUrls } from "../server-urls.js";

/** Options of `volly init`. */
interface InitOptions {
  server?: string[];
  handle?: string;
  link?: string;
  type: string;
  deviceName: string;
}

/**
 * `volly init --server URL [--server URL2 …] --handle H [--pin P] [--type T] [--device-name N]`:
 * create a profile (a new account) and print its recovery key once (`recoveryKey` with --json), or `volly init [--server URL …] --link CODE`: link this machine
 * as a new device of an existing account with the pairing code `volly devices link` printed on one
 * of its devices. Several `--server` flags name the nodes of one deployment, the preferred one
 * first: the profile keeps them all and every command fails over between them. Without `--server`,
 * VOLLY_SERVER (comma-separated) is used.
 */
export function registerInit(program: Command, run: Run) {
  program
    .command("init")
    .description("create a profile: a new account and this device, registered with a server")
    .option(
      "--server <url>",
      "server URL, e.g. http://localhost:7777; repeat for each node of one deployment, preferred " +
        "first (env VOLLY_SERVER, comma-separated; with --link: must include the code's server)",
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option("--handle <handle>", "your handle: 3-32 of a-z 0-9 _ . - (not with --link)")
    .option("--link <code>", "pairing code from `volly devices link` on an existing device")
    .option("--type <type>", "account type: human, bot, agent, service, device", "human")
    .option("--device-name <name>", "a name for this device", "cli")
    .action((o: InitOptions) =>
      run(async (out, g) => {
        const servers = resolveServerUrls(o.server ?? []);
        if (o.link !== undefined) return linkInit(out, g, { ...o, link: o.link }, servers);
        if (servers === undefined || o.handle === undefined) {
          throw new VollyError(
            "VOLLY_E_USAGE",
            "volly init needs --server (or VOLLY_SERVER) and --handle (or --link CODE).",
          );
        }
        if (!matches(EntityType, o.type)) throw new VollyError("VOLLY_E_USAGE", `Unknown --type ${o.type}`);
        const kdf = kdfOption();
        const dir = profileDir(g);
        if (await profileExists(dir))
          throw new VollyError("VOLLY_E_PROFILE_EXISTS", `A profile already exists in ${dir}`);
        const pin = await newProfilePin(g);
        const client = await initNodeProfile(dir, {
          serverUrl: servers,
          handle: o.handle,
          pin: pin.pin,
          entityType: o.type,
          deviceName: o.deviceName,
          ...kdf,
        });
        const p = client.profile;
        let recoveryKey: string;
        try {
          recoveryKey = await client.recovery.setUp();
        } catch (err) {
          await client.close();
          throw err;
        }
        const keys = await finishKeySetup(client, dir, g, pin, `${o.deviceName} (volly init)`);
        const urls = profileServerUrls(p);
        out.result(
          {
            handle: p.handle,
            accountId: p.accountId,
            deviceId: p.deviceId,
            server: p.serverUrl,
            servers: urls,
            recoveryKey,
            ...(keys.created !== undefined ? { apiKey: keys.created } : {}),
          },
          `Created @${p.handle} on ${describeServers(urls)} (profile ${dir})\n\n` +
            apiKeyLines(keys, g) +
            `Your recovery key (shown this once — store it somewhere safe, offline):\n\n    ${recoveryKey}\n\n` +
            `With it, \`volly recover --handle ${p.handle}\` restores the account if every device is lost.`,
        );
      }),
    );
}

/**
 * `volly init --link CODE`: claims the link, shows this device's key fingerprint (the approving
 * device shows the same one), waits for approval, seals the profile. Once the claim is accepted it
 * prints `This device's key fingerprint: …` on stderr — `{"claimed":{"linkId","fingerprint"}}` there
 * with --json, a line scripts can use or skip (the result stays the one line on stdout, with the
 * fingerprint in it). A claim declined on the existing device fails at once with
 * VOLLY_E_LINK_DECLINED (exit 6); an unanswered one with VOLLY_E_LINK_EXPIRED when the code expires.
 */
async function linkInit(
  out: Output,
  g: GlobalOptions,
  o: { handle?: string; link: string; deviceName: string },
  servers: string[] | undefined,
): Promise<void> {
  if (o.handle !== undefined) throw new VollyError("VOLLY_E_USAGE", "--handle is not used with --link.");
  const { server } = parseLinkCode(o.link);
  if (servers !== undefined && !servers.includes(server)) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      `The pairing code is for ${server}, which is not among the server URLs (${servers.join(", ")}).`,
    );
  }
  const kdf = kdfOption();
  const dir = profileDir(g);
  if (await profileExists(dir))
    throw new VollyError("VOLLY_E_PROFILE_EXISTS", `A profile already exists in ${dir}`);
  const pin = await newProfilePin(g);
  let claimed: LinkClaim | undefined;
  const onClaimed = (claim: LinkClaim) => {
    claimed = claim;
    process.stderr.write(
      out.json
        ? `${JSON.stringify({ claimed: { linkId: claim.linkId, fingerprint: claim.fingerprint } })}\n`
        : `This device's key fingerprint: ${claim.fingerprint}  — check that the other device shows the ` +
            "same before you approve\n" +
            `Waiting for the existing device to approve '${printable(o.deviceName)}'…\n`,
    );
  };
  const client = await linkNodeProfile(dir, {
    code: o.link,
    pin: pin.pin,
    deviceName: o.deviceName,
    onClaimed,
    ...kdf,
    ...(servers !== undefined ? { serverUrls: servers } : {}),
  }).catch((err: unknown) => {
    if (err instanceof VollyError && err.code === "VOLLY_E_LINK_EXPIRED") {
      throw new VollyError(
        "VOLLY_E_LINK_EXPIRED",
        "The pairing code expired before this device was approved (approval must come within 15 " +
          "minutes). Run `volly devices link` on the existing device for a new code.",
      );
    }
    if (err instanceof VollyError && err.code === "VOLLY_E_LINK_DECLINED") {
      throw new VollyError(
        "VOLLY_E_LINK_DECLINED",
        "The existing device declined this device: nothing was linked. If that was a mistake, run " +
          "`volly devices link` there for a new code.",
        err.details,
      );
    }
    throw err;
  });
  const p = client.profile;
  const keys = await finishKeySetup(client, dir, g, pin, `${o.deviceName} (volly init --link)`);
  const urls = profileServerUrls(p);
  out.result(
    {
      handle: p.handle,
      accountId: p.accountId,
      deviceId: p.deviceId,
      server: p.serverUrl,
      servers: urls,
      ...(claimed ? { fingerprint: claimed.fingerprint } : {}),
      ...(keys.created !== undefined ? { apiKey: keys.created } : {}),
    },
    `Linked this device to @${p.handle} on ${describeServers(urls)} (profile ${dir})` +
      (keys.sealed ? `\n${apiKeyLines(keys, g)}` : ""),
  );
}

/** The lines `volly init` prints about the API key the profile is sealed under. */
function apiKeyLines(keys: { created?: string; sealed: boolean }, g: GlobalOptions): string {
  if (!keys.sealed) return "";
  if (keys.created === undefined) return "The profile is sealed under the given API key (no PIN needed).\n\n";
  return g.apiKeyFile !== undefined
    ? `API key written to ${g.apiKeyFile} (mode 0600); the profile opens with it, no PIN.\n\n`
    : `Your API key (shown this once; the profile opens with it, no PIN):\n\n    ${keys.created}\n\n`;
}
