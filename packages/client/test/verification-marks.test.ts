import { join } from "node:path";
import { recoverNodeProfile } from "@volly/client/node";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../test/helpers/wait-for.js";
import { TEST_KDF, useTestServer } from "./helpers.js";

describe("verified contacts (safety numbers)", () => {
  const bed = useTestServer();

  it("unverified → verified → the contact's keys change → changed; a scan compares, a match verifies again", async () => {
    const [alice, bob] = await bed.clients("alice", "bob");
    expect(await alice!.verification.state("@bob")).toEqual({ handle: "bob", state: "unverified" });
    const seen: string[] = [];
    alice!.verification.changes.add((s) => seen.push(`${s.handle}:${s.state}`));

    const marked = await alice!.verification.markVerified("bob");
    expect(marked).toMatchObject({ handle: "bob", state: "verified", verifiedAt: expect.any(Number) });
    expect(await alice!.verification.state("bob")).toMatchObject({ state: "verified" });
    expect(seen).toEqual(["bob:verified"]);

    // Bob's keys change: every device lost, the account restored on a new device (new key).
    const recoveryKey = await bob!.recovery.setUp();
    await bob!.close();
    bed.untrack(bob!);
    const restored = await recoverNodeProfile(
      join(bed.home, "bob-restored"),
      { serverUrl: bed.server.url, handle: "bob", recoveryKey, pin: "123456", kdf: TEST_KDF },
      { initialBackoffMs: 50, maxBackoffMs: 300 },
    );
    const newBob = bed.track(restored.client);
    expect(restored.revokedDeviceIds).toHaveLength(1);

    const changed = await alice!.verification.state("bob");
    expect(changed).toMatchObject({ handle: "bob", state: "changed", verifiedAt: marked.verifiedAt });

    // A code that is not this pair's safety number: nothing changes, and it says so.
    const stale = await alice!.verification.compareScanned("bob", "volly-sn:0:AAAA:BBBB");
    expect(stale).toEqual({ match: false, state: changed });
    // Bob's new code (shown on his new device) matches: verified again.
    const code = (await newBob.verification.safetyNumber("alice")).qrPayload;
    const scanned = await alice!.verification.compareScanned("bob", code);
    expect(scanned).toMatchObject({ match: true, state: { state: "verified" } });
    expect(await alice!.verification.state("bob")).toMatchObject({ state: "verified" });

    expect((await alice!.verification.unmarkVerified("bob")).state).toBe("unverified");
    expect(await alice!.verification.state("bob")).toEqual({ handle: "bob", state: "unverified" });
    await waitFor(() => seen.length === 3, { message: "three local changes announced" });
    expect(seen).toEqual(["bob:verified", "bob:verified", "bob:unverified"]);
  }, 120_000);
});
