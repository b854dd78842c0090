import type { BackgroundFailure, VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { DiagnosticsService } from "../src/shared/diagnostics.js";
import { useTestServer } from "./helpers.js";

describe("client diagnostics: failures are reported with a label and counted, never swallowed", () => {
  it("counts failures by label and tells every listener, even after one throws", () => {
    const diagnostics = new DiagnosticsService();
    const seen: BackgroundFailure[] = [];
    diagnostics.failures.add(() => {
      throw new Error("a listener's bug");
    });
    diagnostics.failures.add((f) => seen.push(f));
    diagnostics.report("outbox.flush", new VollyError("VOLLY_E_SERVER_UNREACHABLE", "down"));
    diagnostics.catcher("outbox.flush")(new Error("disk full"));
    diagnostics.catcher("receipts.flush")("odd");
    expect(diagnostics.counts()).toEqual({ "outbox.flush": 2, "receipts.flush": 1 });
    expect(seen.map(({ label, code, message }) => [label, code, message])).toEqual([
      ["outbox.flush", "VOLLY_E_SERVER_UNREACHABLE", "down"],
      ["outbox.flush", "Error", "disk full"],
      ["receipts.flush", "string", "odd"],
    ]);
  });

  const bed = useTestServer();

  it("a look-up that fails while the server is down is counted under its label on client.diagnostics", async () => {
    const [alice] = (await bed.clients("alice")) as [VollyClient];
    const reported: string[] = [];
    alice.diagnostics.failures.add((f) => reported.push(`${f.label}:${f.code}`));
    await bed.server.stop();
    // The group's creation fails (nothing reachable); finding this account's other devices, which
    // it falls back from, is reported instead of silently skipped.
    await expect(alice.conversations.createGroup("Solo", [])).rejects.toMatchObject({
      code: "VOLLY_E_SERVER_UNREACHABLE",
    });
    expect(alice.diagnostics.counts()).toMatchObject({ "conversations.own-devices": 1 });
    expect(reported).toContain("conversations.own-devices:VOLLY_E_SERVER_UNREACHABLE");
  });
});
