import { initNodeProfile, linkNodeProfile, profileExists } from "@volly/client/node";
import { parseLinkCode } from "@volly/crypto";
import { EntityType, matches, VollyError } from "@volly/protocol";
import type { Command } from "commander";
import { type GlobalOptions, parseServerUrl, profileDir } from "../options.js";
import type { Output, Run } from "../output.js";
import { resolvePin } from "../pin.js";

/**
 * `volly init --server URL --handle H [--pin P] [--type T] [--device-name N]`: create a profile (a
 * new account), or `volly init [--server URL] --link CODE`: link this machine as a new device of an
 * existing account with the pairing code `volly devices link` printed on one of its devices.
 */
export function registerInit(program: Command, run: Run) {
  program
    .command("init")
    .description("create a profile: a new account and this device, registered with a server")
    .option("--server <url>", "server URL, e.g. http://localhost:7777 (with --link: must match the code's)")
    .option("--handle <handle>", "your handle: 3-32 of a-z 0-9 _ . - (not with --link)")
    .option("--link <code>", "pairing code from `volly devices link` on an existing device")
    .option("--type <type>", "account type: human, bot, agent, service, device", "human")
    .option("--device-name <name>", "a name for this device", "cli")
    .action((o: { server?: string; handle?: string; link?: string; type: string; deviceName: string }) =>
      run(async (out, g) => {
        if (o.link !== undefined) return linkInit(out, g, { ...o, link: o.link });
        if (o.server === undefined || o.handle === undefined) {
          throw new VollyError("VOLLY_E_USAGE", "volly init needs --server and --handle (or --link CODE).");
        }
        const server = parseServerUrl(o.server);
        if (!matches(EntityType, o.type)) throw new VollyError("VOLLY_E_USAGE", `Unknown --type ${o.type}`);
        const dir = profileDir(g);
        if (await profileExists(dir))
          throw new VollyError("VOLLY_E_PROFILE_EXISTS", `A profile already exists in ${dir}`);
        const pin = await resolvePin(g.pin, "Choose a 6-digit PIN: ");
        const client = await initNodeProfile(dir, {
          serverUrl: server,
          handle: o.handle,
          pin,
          entityType: o.type,
          deviceName: o.deviceName,
        });
        const p = client.profile;
        await client.close();
        out.result(
          { handle: p.handle, accountId: p.accountId, deviceId: p.deviceId, server: p.serverUrl },
          `Created @${p.handle} on ${p.serverUrl} (profile ${dir})`,
        );
      }),
    );
}

/** `volly init --link CODE`: claims the link, waits for approval, seals the profile. */
async function linkInit(
  out: Output,
  g: GlobalOptions,
  o: { server?: string; handle?: string; link: string; deviceName: string },
): Promise<void> {
  if (o.handle !== undefined) throw new VollyError("VOLLY_E_USAGE", "--handle is not used with --link.");
  const { server } = parseLinkCode(o.link);
  if (o.server !== undefined && parseServerUrl(o.server) !== server) {
    throw new VollyError("VOLLY_E_USAGE", `The pairing code is for ${server}, not ${o.server}.`);
  }
  const dir = profileDir(g);
  if (await profileExists(dir))
    throw new VollyError("VOLLY_E_PROFILE_EXISTS", `A profile already exists in ${dir}`);
  const pin = await resolvePin(g.pin, "Choose a 6-digit PIN: ");
  out.note("Waiting for the existing device to approve…");
  const client = await linkNodeProfile(dir, { code: o.link, pin, deviceName: o.deviceName });
  const p = client.profile;
  await client.close();
  out.result(
    { handle: p.handle, accountId: p.accountId, deviceId: p.deviceId, server: p.serverUrl },
    `Linked this device to @${p.handle} on ${p.serverUrl} (profile ${dir})`,
  );
}
