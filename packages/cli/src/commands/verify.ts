import type { VerificationState } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { Command } from "commander";
import type { Run } from "../output.js";
import { withSyncedClient } from "../with-client.js";

/** Options of `volly verify`. */
interface VerifyOptions {
  mark?: boolean;
  unmark?: boolean;
  scanned?: string;
}

const WORDS: Record<VerificationState["state"], string> = {
  verified: "verified",
  unverified: "not verified",
  changed: "KEYS CHANGED since you verified — compare the safety number again",
};

/**
 * `volly verify @handle [--mark | --unmark | --scanned CODE]`: shows the safety number with the
 * contact (60 digits and the QR text) and whether the contact is verified, unverified or its keys
 * changed since. `--mark` marks it verified (after comparing the digits in person), `--unmark`
 * clears the mark, `--scanned CODE` compares the other person's QR text: a match marks verified, a
 * mismatch fails with VOLLY_E_FORBIDDEN (exit 6) and changes nothing. Marks are synced to the
 * account's devices.
 */
export function registerVerify(program: Command, run: Run) {
  program
    .command("verify <handle>")
    .description("show the safety number with a contact and mark the contact verified")
    .option("--mark", "mark the contact verified (compare the digits first)")
    .option("--unmark", "clear the contact's verified mark")
    .option("--scanned <code>", "compare the other person's QR text; a match marks verified")
    .action((handle: string, o: VerifyOptions) =>
      run(async (out, g) => {
        if ([o.mark, o.unmark, o.scanned !== undefined].filter(Boolean).length > 1) {
          throw new VollyError("VOLLY_E_USAGE", "Use one of --mark, --unmark, --scanned.");
        }
        const result = await withSyncedClient(g, async (client) => {
          const v = client.verification;
          let match: boolean | undefined;
          if (o.mark) await v.markVerified(handle);
          if (o.unmark) await v.unmarkVerified(handle);
          if (o.scanned !== undefined) match = (await v.compareScanned(handle, o.scanned)).match;
          const number = await v.safetyNumber(handle);
          const state = await v.state(handle);
          return { number, state, match };
        });
        if (result.match === false) {
          throw new VollyError(
            "VOLLY_E_FORBIDDEN",
            `The scanned code is not your safety number with @${result.state.handle}: do not mark it verified.`,
            { handle: result.state.handle },
          );
        }
        const { number, state } = result;
        out.result(
          {
            handle: number.handle,
            digits: number.digits,
            qrPayload: number.qrPayload,
            source: number.source,
            state: state.state,
            ...(state.verifiedAt !== undefined ? { verifiedAt: state.verifiedAt } : {}),
          },
          `Safety number with @${number.handle}:\n  ${number.digits}\nQR: ${number.qrPayload}\n` +
            `@${number.handle} is ${WORDS[state.state]}`,
        );
      }),
    );
}
