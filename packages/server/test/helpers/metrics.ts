/**
 * One sample's value in Prometheus text format 0.0.4 (0 when absent).
 *
 * @param text a GET /metrics body
 * @param name the sample as exposed, labels included: `volly_messages_out_total{event="READY"}`
 */
export function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}
