import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { registerFastHistogram } from "../src/fast-histogram.js";
import { DELIVERY_LATENCY_BUCKETS } from "../src/metrics.js";

describe("registerFastHistogram", () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const options = { name: "x_latency_seconds", help: "Latency.", buckets: DELIVERY_LATENCY_BUCKETS };
    const fast = registerFastHistogram(ours, options);
    const reference = new Histogram({ ...options, registers: [theirs] });
    const values = [0, 0.0005, 0.001, 0.0011, 0.003, 0.02, 0.7, 4, 9.99, 10, 11, 250];
    for (let i = 0; i < 1000; i++) {
      const v = values[i % values.length]! * (1 + (i % 7) / 100);
      fast.observe(v);
      reference.observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it("counts a negative value as 0 and starts at zero in every bucket", async () => {
    const registry = new Registry();
    const fast = registerFastHistogram(registry, { name: "y_seconds", help: "Y.", buckets: [1, 2] });
    expect(await registry.metrics()).toContain('y_seconds_bucket{le="+Inf"} 0');
    fast.observe(-3);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_bucket{le="1"} 1');
    expect(text).toContain("y_seconds_sum 0");
    expect(text).toContain("y_seconds_count 1");
    registry.resetMetrics();
    expect(await registry.metrics()).toContain("y_seconds_count 0");
  });
});
