import type { NotificationScope } from "../worker/rpc-types.js";

/** Which dialog is open (one at a time; they return focus to what opened them). */
export type DialogState =
  | { kind: "none" }
  | { kind: "invite" }
  | { kind: "new-group" }
  | { kind: "new-message" }
  | { kind: "group"; conversationId: string }
  | { kind: "settings" }
  | { kind: "search" }
  /** `conversationId`: the direct conversation whose details these are (its direct connection shows too). */
  | { kind: "verify"; handle: string; conversationId?: string }
  | { kind: "create-community" }
  | { kind: "join-community"; invite?: string }
  | { kind: "community-invite" }
  | { kind: "create-channel" }
  | { kind: "community-settings" }
  | { kind: "member"; accountId: string }
  | { kind: "notifications"; scope: NotificationScope; name: string };

class DialogStore {
  current = $state<DialogState>({ kind: "none" });

  open(state: DialogState): void {
    this.current = state;
  }

  close(): void {
    this.current = { kind: "none" };
  }
}

export const dialogs = new DialogStore();
