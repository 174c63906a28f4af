/**
 * The MQTT port bridge features publish and subscribe through: the real implementation is MqttConnection
 * (connection.ts, over mqtt.js); tests use FakeMqtt (src/testing).
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
  /**
   * Resolves once the broker has delivered the retained messages of every subscription made so far (a
   * round trip through the broker). Absent on a port that delivers synchronously (FakeMqtt).
   */
  sync?(): Promise<void>;
}
