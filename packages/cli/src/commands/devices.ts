import type { Command } from "commander";
import QRCode from "qrcode";
import type { Run } from "../output.js";
import { withClient, withSyncedClient } from "../with-client.js";

/**
 * `volly devices [--json]`, `volly devices link [--no-history]` and `volly devices revoke ID`:
 * this account's devices (see `device-links.ts` in @volly/protocol for the linking flow).
 * `devices link` prints the pairing code, and its QR code on stderr when not in --json mode; once
 * the new device is approved it gets the account's state (settings, conversation list, read marks)
 * and, unless `--no-history`, this device's message history, encrypted in the account's self
 * conversation.
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
      "show a pairing code for a new device (valid 15 minutes), approve its claim, add it to every conversation and hand the message history over",
    )
    .option("--no-history", "do not hand this device's message history over to the new device")
    .action((o: { history: boolean }) =>
      run(async (out, g) => {
        await withSyncedClient(g, async (client) => {
          const link = await client.devices.startLink();
          out.result({ code: link.code, linkId: link.linkId, expiresAt: link.expiresAt }, link.code);
          if (!out.json) out.note(await QRCode.toString(link.code, { type: "terminal", small: true }));
          out.note(`On the new device run: volly init --link '${link.code}'  (valid 15 minutes)`);
          const linked = await client.devices.waitAndApprove(
            link.linkId,
            link.secret,
            Math.max(0, link.expiresAt - Date.now()),
            { history: o.history },
          );
          const handedOver = linked.handOver?.stateSent
            ? `; handed over settings and ${linked.handOver.messages} message(s)`
            : "";
          out.result(
            linked,
            `linked ${linked.name} (${linked.deviceId}); added to ${linked.added.length} conversation(s)` +
              (linked.failed.length > 0 ? `; failed for ${linked.failed.length}` : "") +
              handedOver,
          );
        });
      }),
    );
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
