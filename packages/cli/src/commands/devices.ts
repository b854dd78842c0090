import type { LinkedDevice } from "@volly/client";
import { fingerprint } from "@volly/crypto";
import { type DeviceLinkClaimedEvent, fromBase64Url, VollyError } from "@volly/protocol";
import type { Command } from "commander";
import QRCode from "qrcode";
import { askYesNo } from "../confirm.js";
import { printable } from "../format.js";
import type { GlobalOptions } from "../options.js";
import type { Output, Run } from "../output.js";
import { withClient, withSyncedClient } from "../with-client.js";

/** Options of `volly devices link`. */
interface LinkOptions {
  history: boolean;
  yes?: boolean;
}

/**
 * `volly devices [--json]`, `volly devices link [--no-history]` and `volly devices revoke ID`:
 * this account's devices (see `device-links.ts` in @volly/protocol for the linking flow).
 * `devices link` prints the pairing code, and its QR code on stderr when that is a terminal (and not
 * in --json mode). When a device claims the code (and its proof matches), its name and key
 * fingerprint are shown and the user is asked `Approve '<name>'? [y/N]` before anything is approved;
 * `--yes` approves without asking, and without a terminal `--yes` is required (VOLLY_E_USAGE, exit
 * 2). The new device's `volly init --link` shows the same fingerprint. A "no" declines the link on
 * the server (the new device's `init --link` then fails with VOLLY_E_LINK_DECLINED at once) and ends
 * with VOLLY_E_LINK_DECLINED (exit 6). Once approved the new device gets the
 * account's state (settings, conversation list, read marks) and, unless `--no-history`, this
 * device's message history, encrypted in the account's self conversation.
 */
export function registerDevices(program: Command, run: Run) {
  const devices = program
    .command("devices")
    .description("list this account's devices (--json: one {deviceId, name, createdAt, current} per line)")
    .action(() =>
      run(async (out, g) => {
        const list = await withClient(g, (c) => c.devices.list());
        if (out.json) {
          for (const d of list) out.result(d, "");
          return;
        }
        for (const d of list) {
          const when = new Date(d.createdAt).toISOString();
          out.result(d, `${d.deviceId}  ${d.name}  ${when}${d.current ? "  (this device)" : ""}`);
        }
      }),
    );
  devices
    .command("link")
    .description(
      "show a pairing code for a new device (valid 15 minutes); when a device claims it, show its name and " +
        "key fingerprint and ask before approving (--yes: approve without asking); then add it to every " +
        "conversation and hand the message history over",
    )
    .option("--no-history", "do not hand this device's message history over to the new device")
    .option(
      "-y, --yes",
      "approve the first claim whose proof matches the code without asking (for scripts; needed when " +
        "stdin is not a terminal)",
    )
    .action((o: LinkOptions) => run((out, g) => link(out, g, o)));
  devices
    .command("revoke")
    .description("revoke a device of this account: its sessions end and it leaves every conversation")
    .argument("<deviceId>", "the device's id (see `volly devices`)")
    .action((deviceId: string) =>
      run(async (out, g) => {
        const result = await withClient(g, (c) => c.devices.revoke(deviceId));
        out.result(result, `revoked ${result.deviceId}; removed from ${result.departures} group(s)`);
      }),
    );
}

/** The claiming device as the user is shown it: its chosen name and its key's SHA-256 fingerprint. */
interface ClaimShown {
  name: string;
  fingerprint: string;
}

/** `volly devices link`: see {@link registerDevices}. */
async function link(out: Output, g: GlobalOptions, o: LinkOptions): Promise<void> {
  if (!o.yes && !process.stdin.isTTY) {
    throw new VollyError(
      "VOLLY_E_USAGE",
      "volly devices link asks on the terminal before it approves a new device, and stdin is not a " +
        "terminal: pass --yes to approve the first claim whose proof matches the code without asking.",
    );
  }
  await withSyncedClient(g, async (client) => {
    const opened = await client.devices.startLink();
    out.result({ code: opened.code, linkId: opened.linkId, expiresAt: opened.expiresAt }, opened.code);
    if (!out.json && process.stderr.isTTY) out.note(await qrCode(opened.code));
    out.note(`On the new device run: volly init --link '${opened.code}'  (valid 15 minutes)`);
    let shown: ClaimShown | undefined;
    const confirm = async (claim: DeviceLinkClaimedEvent): Promise<boolean> => {
      shown = {
        name: claim.name,
        fingerprint: fingerprint(fromBase64Url(claim.signaturePublicKey)),
      };
      const name = printable(shown.name);
      const about = `A new device claimed the code: '${name}', key fingerprint ${shown.fingerprint}`;
      if (o.yes) {
        out.note(`${about}; approving it (--yes).`);
        return true;
      }
      process.stderr.write(`${about}.\nCheck that the new device shows the same fingerprint.\n`);
      return askYesNo(
        `Approve '${name}'? [y/N] `,
        Math.max(0, opened.expiresAt - Date.now()),
        () =>
          new VollyError(
            "VOLLY_E_LINK_EXPIRED",
            "The pairing code expired before you answered; nothing was approved.",
          ),
      );
    };
    let linked: LinkedDevice;
    try {
      linked = await client.devices.waitAndApprove(
        opened.linkId,
        opened.secret,
        Math.max(0, opened.expiresAt - Date.now()),
        { history: o.history, confirm },
      );
    } catch (err) {
      if (err instanceof VollyError && err.code === "VOLLY_E_LINK_DECLINED" && shown) {
        const told = err.details?.newDeviceTold === true;
        const until = new Date(opened.expiresAt).toTimeString().slice(0, 5);
        throw new VollyError(
          "VOLLY_E_LINK_DECLINED",
          `Not approved: '${printable(shown.name)}' was not linked, and the code cannot be used again. ` +
            (told
              ? "The new device was told (its `volly init --link` fails with VOLLY_E_LINK_DECLINED)."
              : "The server could not be told, so the new device keeps waiting until the code expires " +
                `at ${until}, then fails with VOLLY_E_LINK_EXPIRED.`),
          { linkId: opened.linkId, newDeviceTold: told },
        );
      }
      throw err;
    }
    const handedOver = linked.handOver?.stateSent
      ? `; handed over settings and ${linked.handOver.messages} message(s)`
      : "";
    out.result(
      { ...linked, ...(shown ? { fingerprint: shown.fingerprint } : {}) },
      `linked ${printable(linked.name)} (${linked.deviceId}); added to ${linked.added.length} conversation(s)` +
        (linked.failed.length > 0 ? `; failed for ${linked.failed.length}` : "") +
        handedOver,
    );
  });
}

/**
 * The pairing code as a QR code for a terminal: black on white with ANSI colours, or plain block
 * characters when NO_COLOR is set (https://no-color.org). Only printed when stderr is a terminal.
 */
function qrCode(code: string): Promise<string> {
  return process.env.NO_COLOR
    ? QRCode.toString(code, { type: "utf8" })
    : QRCode.toString(code, { type: "terminal", small: true });
}
