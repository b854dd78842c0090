import type { Command } from "commander";
import { parseDuration } from "../options.js";
import type { Run } from "../output.js";
import { withClient } from "../with-client.js";

/** `volly invite [--expires 7d] [--web]`: print a signed invite link. */
export function registerInvite(program: Command, run: Run) {
  program
    .command("invite")
    .description("print a signed invite link that opens a conversation with you")
    .option("--expires <duration>", "how long the link is valid: 30m, 24h, 7d", "7d")
    .option("--web", "print the https://<server>/i/… form instead of volly://invite/…")
    .action((o: { expires: string; web?: boolean }) =>
      run(async (out, g) => {
        const ttl = parseDuration(o.expires);
        const links = await withClient(g, async (client) => client.invites.create(ttl));
        out.result(links, o.web ? links.webUrl : links.link);
      }),
    );
}
