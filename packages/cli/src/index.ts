export { EXIT, exitCodeFor } from "./exit-codes.js";
export { runCli } from "./program.js";
