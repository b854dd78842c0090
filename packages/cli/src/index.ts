export { EXIT, exitCodeFor } from "./exit-codes.js";
export { createProgram, runCli } from "./program.js";
