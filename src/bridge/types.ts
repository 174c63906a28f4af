/**
 * The seam between the device side of the bridge (client, poller) and the MQTT side (publisher,
 * availability, discovery). The poller produces BatteryReadings; the publisher consumes them.
 */
import type { BasicInfo } from "../protocol/registers/basic-info.js";
import type { CellVoltages } from "../protocol/registers/cell-voltages.js";

export interface BatteryReading {
  /** Topic id: the configured name, or "1".."N" in config order. */
  batteryId: string;
  /** Canonical address (see src/transport/address.ts). */
  address: string;
  /** Per-battery reading sequence number, starting at 1 for each bridge process. */
  seq: number;
  /** Clock time (ms) when the 0x04 reply completing this reading was accepted. */
  time: number;
  basic: BasicInfo;
  cells: CellVoltages;
  /** 0x05 model string, read once per connection; absent until read. */
  model?: string;
}

export type AvailabilityState = "online" | "offline";

export interface AvailabilityChange {
  batteryId: string;
  state: AvailabilityState;
  /** Why, in a few words ("no valid reading for 30 s", "connected"). */
  reason: string;
  time: number;
}

/**
 * The small MQTT surface bridge features need (publisher, availability, HA discovery, control). The real
 * implementation wraps mqtt.js (src/bridge/mqtt-connection.ts); tests use a fake.
 */
export interface MqttPublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** MQTT 5 message expiry (s); ignored on MQTT 3.1.1 connections. */
  messageExpirySeconds?: number;
}

/** What a received message says beyond topic and payload (MQTT 5 properties are absent on 3.1.1). */
export interface MqttMessageMeta {
  /** Delivered from the broker's retained store (not published just now). */
  retain: boolean;
  /** MQTT 5 user properties. */
  userProperties?: Record<string, string | string[]>;
  /** MQTT 5 response topic. */
  responseTopic?: string;
}

export type MqttMessageHandler = (topic: string, payload: Buffer, meta?: MqttMessageMeta) => void;

export interface MqttPort {
  /** Resolves when the message is handed to the client (QoS 0) or acknowledged/queued (QoS 1/2). */
  publish(topic: string, payload: string | Buffer, options?: MqttPublishOptions): Promise<void>;
  subscribe(topicFilter: string, handler: MqttMessageHandler): Promise<() => Promise<void>>;
  /** True while connected to the broker. */
  readonly connected: boolean;
  /** True when the broker accepted MQTT 5 (message expiry is then available). */
  readonly supportsMessageExpiry: boolean;
  /** Called on every (re)connect, after the bridge state went `online`; features republish there. */
  onConnect(listener: () => void): () => void;
}

/** A bridge feature (publisher, availability, discovery, energy, control…): constructors only assign. */
export interface BridgeFeature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
