// A LanDiscovery in a process of its own, for test/p2p/lan-discovery.test.ts (run inside a network
// namespace). Argument: JSON {port, tags, announceEveryMs?, queryEveryMs?}. Prints JSON lines on
// stdout: {"event":"ready","instance","interfaces"}, {"event":"seen",...sighting},
// {"event":"gone","instance"}, {"event":"error","message"}. Reads JSON lines on stdin:
// {"cmd":"setTags","tags":[...]} (answers {"event":"tags","tags"}) and {"cmd":"stop"} (stops, exits).
import { networkInterfaces } from "node:os";
import { createInterface } from "node:readline";
import { LanDiscovery } from "../../../packages/client/dist/p2p/lan-discovery.js";

const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const options = JSON.parse(process.argv[2] ?? "{}");
const discovery = new LanDiscovery(options);
discovery.seen.add((sighting) => print({ event: "seen", ...sighting }));
discovery.gone.add(({ instance }) => print({ event: "gone", instance }));
await discovery.start();
const interfaces = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i && i.family === "IPv4" && !i.internal)
  .map((i) => i.address);
print({ event: "ready", instance: discovery.instanceName, interfaces });

createInterface({ input: process.stdin }).on("line", async (line) => {
  try {
    const command = JSON.parse(line);
    if (command.cmd === "setTags") {
      discovery.setTags(command.tags);
      print({ event: "tags", tags: command.tags });
    } else if (command.cmd === "stop") {
      await discovery.stop();
      print({ event: "stopped" });
      process.exit(0);
    }
  } catch (err) {
    print({ event: "error", message: err instanceof Error ? err.message : String(err) });
  }
});
