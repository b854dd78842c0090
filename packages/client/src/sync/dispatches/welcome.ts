import { VollyError } from "@volly/protocol";
import { acceptWelcome } from "../../conversations/welcome.js";
import type { DispatchHandler } from "../dispatch-handler.js";

/**
 * WELCOME: joins the group (RFC 9420 §12.4.3.1), announces the new conversation, acknowledges the
 * Welcome, and tops the key package pool up (one package was used). A Welcome this device cannot
 * use is counted undecryptable and acknowledged.
 */
export const welcome: DispatchHandler<"WELCOME"> = {
  async handle(event, sync) {
    try {
      const conv = await acceptWelcome(sync.conversations, event);
      if (!conv.self) sync.joined.emit(conv);
    } catch (err) {
      if (!(err instanceof VollyError)) throw err;
      await sync.deliveryLog.countUndecryptable(String(err.details?.cause ?? "missing-state"));
    }
    sync.acknowledge([], [event.welcomeId]);
    sync.keyPackages.topUp().catch(sync.diagnostics.catcher("key-packages.top-up"));
  },
};
