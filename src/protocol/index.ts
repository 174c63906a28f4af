/** Public API of the JBD protocol codec (pure: bytes <-> values). */
export * from "./assembler.js";
export * from "./bytes.js";
export * from "./describe.js";
export * from "./frame.js";
export * from "./hex.js";
export * from "./registers/basic-info.js";
export * from "./registers/cell-voltages.js";
export * from "./registers/eeprom-strings.js";
export * from "./registers/error-counters.js";
export * from "./registers/hardware-version.js";
export * from "./registers/index.js";
export * from "./registers/parameter.js";
export * from "./status.js";
export * from "./telemetry.js";
export * from "./types.js";
