import type { DispatchHandler } from "../dispatch-handler.js";

/** TYPING_START: someone is typing in a conversation (ephemeral, never stored). */
export const typingStart: DispatchHandler<"TYPING_START"> = {
  handle(event, sync) {
    sync.typing.handle(event);
  },
};
