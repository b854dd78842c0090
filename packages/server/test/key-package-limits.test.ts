import { type ClaimReason, newId } from "@volly/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { createInProcessBus } from "../src/bus/in-process-bus.js";
import { DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "../src/services/service-limits.js";
import { createServices } from "../src/services/services.js";
import { expectCode } from "./helpers/expect-code.js";
import { keyPackageFor } from "./helpers/keys-crypto.js";
import { registerDevice, type ServiceFixture, serviceFixture, type TestDevice } from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

const HOUR = 60 * 60 * 1000;

/** DEFAULT_SERVICE_LIMITS with some claim limits replaced. */
function withClaims(claims: Partial<ServiceLimits["claims"]>): ServiceLimits {
  return { ...DEFAULT_SERVICE_LIMITS, claims: { ...DEFAULT_SERVICE_LIMITS.claims, ...claims } };
}

forEachBackend((backend) => {
  describe("key package limits: stored packages per device, claims per claimer and per target", () => {
    let f: ServiceFixture;
    afterEach(() => f?.close());

    const packagesOf = (d: TestDevice, n: number) =>
      Promise.all(Array.from({ length: n }, () => keyPackageFor(d.keys, d.accountId, d.deviceId)));
    const claim = (
      claimer: TestDevice,
      targets: TestDevice[],
      reason: ClaimReason = { type: "group-add", groupId: newId() },
    ) => f.services.keyPackages.claim(claimer, { deviceIds: targets.map((t) => t.deviceId), reason });

    it("a device stores at most 100 unclaimed one-time packages; past that the upload is refused whole", async () => {
      f = await serviceFixture(backend);
      const bob = await registerDevice(f.services, "bob");
      const [last, ...hundred] = await packagesOf(bob, 101);
      expect(
        await f.services.keyPackages.upload(bob.deviceId, { keyPackages: hundred, lastResort: last! }),
      ).toEqual({
        available: 100,
        hasLastResort: true,
      });
      const [one, two] = await packagesOf(bob, 2);
      const refused = await expectCode(
        f.services.keyPackages.upload(bob.deviceId, { keyPackages: [one!, two!] }),
        "VOLLY_E_KEY_PACKAGE_LIMIT",
      );
      expect(refused.details).toEqual({ limit: 100, stored: 102 });
      expect(await f.services.keyPackages.count(bob.deviceId)).toEqual({
        available: 100,
        hasLastResort: true,
      });
      // once some are claimed, the device can top up again
      const alice = await registerDevice(f.services, "alice");
      await claim(alice, [bob]);
      await claim(alice, [bob]);
      expect(
        (await f.services.keyPackages.upload(bob.deviceId, { keyPackages: [one!, two!] })).available,
      ).toBe(100);
    });

    it.runIf(backend.name === "PostgreSQL")(
      "two nodes uploading at once cannot overshoot the cap together",
      async () => {
        f = await serviceFixture(backend, { ...DEFAULT_SERVICE_LIMITS, keyPackagesPerDevice: 10 });
        const bob = await registerDevice(f.services, "bob");
        const peerServices = createServices(
          { store: await f.reopen(), bus: createInProcessBus(), now: f.clock.now },
          "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
          { ...DEFAULT_SERVICE_LIMITS, keyPackagesPerDevice: 10 },
        );
        const batches = await Promise.all([0, 1, 2, 3].map(() => packagesOf(bob, 4)));
        const results = await Promise.allSettled(
          batches.map((keyPackages, i) =>
            (i % 2 ? peerServices : f.services).keyPackages.upload(bob.deviceId, { keyPackages }),
          ),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
        expect((await f.services.keyPackages.count(bob.deviceId)).available).toBe(8);
      },
    );

    it("one device's one-time packages go to other accounts at 10 an hour, then the last-resort one: a drain takes hours, not a handful of requests", async () => {
      f = await serviceFixture(backend);
      const bob = await registerDevice(f.services, "bob");
      const [last, ...twenty] = await packagesOf(bob, 21);
      await f.services.keyPackages.upload(bob.deviceId, { keyPackages: twenty, lastResort: last! });
      const claimers = await Promise.all(
        ["mallory", "trudy", "eve"].map((h) => registerDevice(f.services, h)),
      );
      const handedOut: boolean[] = [];
      for (let i = 0; i < 30; i++) {
        const { keyPackages } = await claim(claimers[i % 3]!, [bob]);
        handedOut.push(keyPackages[0]!.lastResort);
      }
      expect(handedOut.filter((lastResort) => !lastResort)).toHaveLength(10);
      expect(handedOut.slice(10).every((lastResort) => lastResort)).toBe(true);
      expect((await f.services.keyPackages.count(bob.deviceId)).available).toBe(10);
      // the budget refills evenly over the hour
      f.clock.advance(HOUR / 10);
      expect((await claim(claimers[0]!, [bob])).keyPackages[0]!.lastResort).toBe(false);
      expect((await claim(claimers[0]!, [bob])).keyPackages[0]!.lastResort).toBe(true);
      // bob's own other devices are not held to it
      expect((await claim(bob, [bob])).keyPackages[0]!.lastResort).toBe(false);
    });

    it("first contacts are limited per claimer and per target account, with retryAfterMs", async () => {
      f = await serviceFixture(backend, withClaims({ firstContactPerClaimer: 3, firstContactPerTarget: 4 }));
      const [alice, bob, carol, dave, erin, frank] = (await Promise.all(
        ["alice", "bob", "carol", "dave", "erin", "frank"].map((h) => registerDevice(f.services, h)),
      )) as [TestDevice, TestDevice, TestDevice, TestDevice, TestDevice, TestDevice];
      for (const d of [bob, carol, erin]) {
        await f.services.keyPackages.upload(d.deviceId, {
          keyPackages: [],
          lastResort: (await packagesOf(d, 1))[0]!,
        });
      }
      const first = { type: "first-contact" } as const;
      for (let i = 0; i < 3; i++) await claim(alice, [i % 2 ? bob : carol], first);
      const limited = await expectCode(claim(alice, [bob], first), "VOLLY_E_RATE_LIMITED");
      expect(limited.details).toEqual({ scope: "first-contact", retryAfterMs: HOUR / 3 });
      // other reasons are not first contacts
      await claim(alice, [bob], { type: "group-add", groupId: newId() });
      f.clock.advance(HOUR / 3);
      await claim(alice, [bob], first);

      // erin takes 4 first contacts an hour, whoever makes them
      await claim(dave, [erin], first);
      await claim(dave, [erin], first);
      await claim(frank, [erin], first);
      await claim(frank, [erin], first);
      const target = await expectCode(claim(dave, [erin], first), "VOLLY_E_RATE_LIMITED");
      expect(target.details).toEqual({ scope: "target", retryAfterMs: HOUR / 4 });
      // the refused claim took nothing from dave's own budget (2 of 3 used): one more first contact
      await claim(dave, [carol], first);
      await expectCode(claim(dave, [carol], first), "VOLLY_E_RATE_LIMITED");
    });

    it("claims are limited in devices per claimer, all or nothing", async () => {
      f = await serviceFixture(backend, withClaims({ perClaimer: 5 }));
      const alice = await registerDevice(f.services, "alice");
      const targets = await Promise.all(Array.from({ length: 6 }, () => registerDevice(f.services)));
      for (const d of targets) {
        await f.services.keyPackages.upload(d.deviceId, { keyPackages: await packagesOf(d, 1) });
      }
      // more devices than the whole budget: never within it
      const tooMany = await expectCode(claim(alice, targets), "VOLLY_E_RATE_LIMITED");
      expect(tooMany.details).toEqual({ scope: "claimer", retryAfterMs: HOUR });
      for (const d of targets) expect((await f.services.keyPackages.count(d.deviceId)).available).toBe(1);
      await claim(alice, targets.slice(0, 5));
      const limited = await expectCode(claim(alice, targets.slice(5)), "VOLLY_E_RATE_LIMITED");
      expect(limited.details).toEqual({ scope: "claimer", retryAfterMs: HOUR / 5 });
      f.clock.advance(HOUR / 5);
      await claim(alice, targets.slice(5));
    });

    it.runIf(backend.name === "PostgreSQL")(
      "limits hold across nodes: claims racing on two stores get exactly the budget",
      async () => {
        f = await serviceFixture(backend, withClaims({ firstContactPerTarget: 5 }));
        const bob = await registerDevice(f.services, "bob");
        await f.services.keyPackages.upload(bob.deviceId, {
          keyPackages: [],
          lastResort: (await packagesOf(bob, 1))[0]!,
        });
        const claimers = await Promise.all(Array.from({ length: 12 }, () => registerDevice(f.services)));
        const peer = createServices(
          { store: await f.reopen(), bus: createInProcessBus(), now: f.clock.now },
          "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
          withClaims({ firstContactPerTarget: 5 }),
        );
        const results = await Promise.allSettled(
          claimers.map((c, i) =>
            (i % 2 ? peer : f.services).keyPackages.claim(c, {
              deviceIds: [bob.deviceId],
              reason: { type: "first-contact" },
            }),
          ),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
      },
    );
  });
});
