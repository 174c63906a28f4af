/**
 * The public library entry (`import { … } from "bms-bridge"`), documented in docs/api.md. Everything here
 * is re-exported from the module that owns it; `bms-bridge/testing` (src/testing) holds the fakes.
 * Loading this entry loads no hardware library: noble, bleno and serialport load when first used.
 */

export { type BridgeContext, type RunningBridge, startBridge } from "./bridge/bridge.js";
export { BmsClient, type ClientOptions, DEFAULT_CLIENT_OPTIONS } from "./bridge/device/client.js";
export { type BridgeEventMap, EventBus } from "./bridge/event-bus.js";
export type { AvailabilityChange, BatteryReading } from "./bridge/types.js";
export { type BrokerOptions, type RunningBroker, startBroker } from "./broker/broker.js";
// The bridge: configuration (same sources and validation as `bms-bridge run`) and its starter.
export type { BatteryConfig, BridgeConfig, MqttConfig, PollingConfig } from "./config/config.js";
export { type ConfigSources, loadConfig, readConfigFile } from "./config/load.js";
// A client over a link: read a battery from a script.
export { type BatteryConnection, type ConnectOptions, connectBattery } from "./connect.js";
// The emulator and the embedded broker (what `bms-emu` and `bms-bridge broker` run).
export { type EmulatorAppOptions, type RunningEmulator, startEmulator } from "./emulator/app.js";
export type { ServeRequest } from "./emulator/serve.js";
// Errors every function here may reject with.
export { BmsError, type BmsErrorCode, isBmsError } from "./errors.js";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
} from "./log/logger.js";
// The codec: frames, the streaming assembler, register decoders/encoders, derived telemetry.
export * from "./protocol/index.js";
export { type BatteryAddress, formatAddress, parseAddress } from "./transport/address.js";
export { type BatteryLinkOpener, createBatteryLinkOpener } from "./transport/open-link.js";
export type { Link, LinkOpener, OpenOptions } from "./transport/types.js";
// Time and logging the starters take.
export { type Clock, systemClock } from "./util/clock.js";
