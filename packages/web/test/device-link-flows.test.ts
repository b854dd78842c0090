import { join } from "node:path";
import type { LinkClaim } from "@volly/client";
import { linkNodeProfile } from "@volly/client/node";
import { describe, expect, it } from "vitest";
import { TEST_KDF, useTestServer } from "../../client/test/helpers.js";
import { DeviceLinkFlows } from "../src/worker/device-link-flows.js";

describe("the worker's device-link flows (the existing device's side, one call per step)", () => {
  const bed = useTestServer();

  /** Starts linking a new Node device with `code`; resolves with the linked client (tracked). */
  function claimWith(code: string, onClaimed: (claim: LinkClaim) => void) {
    return linkNodeProfile(
      join(bed.home, "new-device"),
      { code, pin: "123456", deviceName: "Kitchen tablet", kdf: TEST_KDF, pollIntervalMs: 50, onClaimed },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
  }

  it("shows the claim's name and the fingerprint the new device shows, and approves only when told", async () => {
    const [alice] = await bed.clients("alice", "bob");
    await alice!.resolveConversation("@bob");
    const flows = new DeviceLinkFlows();
    const opened = await flows.start(alice!);
    expect(opened.code).toMatch(/^volly-link:/);
    expect(structuredClone(opened)).toEqual(opened);
    let shown: LinkClaim | undefined;
    const linking = claimWith(opened.code, (c) => {
      shown = c;
    });
    const claim = await flows.claim(opened.linkId);
    expect(claim.name).toBe("Kitchen tablet");
    expect(claim.fingerprint).toBe(shown?.fingerprint);
    // nothing is approved before the answer
    expect((await alice!.devices.list()).map((d) => d.name)).not.toContain("Kitchen tablet");
    const approved = await flows.answer(opened.linkId, true);
    expect(approved).toMatchObject({ name: "Kitchen tablet", added: 1, failed: 0 });
    const linked = bed.track(await linking);
    expect(linked.profile.deviceId).toBe(approved?.deviceId);
    await expect(flows.answer(opened.linkId, true)).rejects.toMatchObject({ code: "VOLLY_E_NOT_FOUND" });
  });

  it("a decline tells the new device; cancelling before a claim declines a later one", async () => {
    const [alice] = await bed.clients("alice");
    const flows = new DeviceLinkFlows();
    const first = await flows.start(alice!);
    const refused = claimWith(first.code, () => undefined);
    await flows.claim(first.linkId);
    expect(await flows.answer(first.linkId, false)).toBeUndefined();
    await expect(refused).rejects.toMatchObject({ code: "VOLLY_E_LINK_DECLINED" });

    const second = await flows.start(alice!);
    expect(await flows.answer(second.linkId, false)).toBeUndefined();
    await expect(claimWith(second.code, () => undefined)).rejects.toMatchObject({
      code: "VOLLY_E_LINK_DECLINED",
    });
    expect((await alice!.devices.list()).map((d) => d.name)).toEqual(["cli"]);
  });
});
