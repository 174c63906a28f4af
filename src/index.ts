/**
 * The public library entry (`import { … } from "bms-bridge"`), documented in docs/api.md. Everything here
 * is re-exported from the module that owns it; `bms-bridge/testing` (src/testing) holds the fakes.
 * Loading this entry loads no hardware library: noble, bleno and serialport load when first used.
 *
 * What is here (Biome keeps the lines sorted by module, so the groups are listed here instead):
 * - the codec (src/protocol: frames, the streaming assembler, register decoders/encoders, telemetry);
 * - a client over a link: connectBattery, BmsClient, addresses, createBatteryLinkOpener, the Link type;
 * - the bridge: loadConfig (the loader `bms-bridge run` uses), startBridge, its EventBus and events;
 * - the emulator and the embedded broker (what `bms-emu` and `bms-bridge broker` run);
 * - errors, logging and time the starters take.
 */

export { type BridgeContext, type RunningBridge, startBridge } from "./bridge/bridge.js";
export { BmsClient, type ClientOptions, DEFAULT_CLIENT_OPTIONS } from "./bridge/device/client.js";
export { type BridgeEventMap, EventBus } from "./bridge/event-bus.js";
export type { AvailabilityChange, BatteryReading } from "./bridge/types.js";
export { type BrokerOptions, type RunningBroker, startBroker } from "./broker/broker.js";
export type { BatteryConfig, BridgeConfig, MqttConfig, PollingConfig } from "./config/config.js";
export { type ConfigSources, loadConfig, readConfigFile } from "./config/load.js";
export { type BatteryConnection, type ConnectOptions, connectBattery } from "./connect.js";
export { type EmulatorAppOptions, type RunningEmulator, startEmulator } from "./emulator/app.js";
export type { ServeRequest } from "./emulator/serve.js";
export { BmsError, type BmsErrorCode, isBmsError } from "./errors.js";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
} from "./log/logger.js";
export * from "./protocol/index.js";
export { type BatteryAddress, formatAddress, parseAddress } from "./transport/address.js";
export { type BatteryLinkOpener, createBatteryLinkOpener } from "./transport/open-link.js";
export type { Link, LinkOpener, OpenOptions } from "./transport/types.js";
export { type Clock, systemClock } from "./util/clock.js";
