/**
 * A subscriber on `<prefix>/#` that keeps EVERY message with its arrival time (not just the last), so
 * suites can check each published value and the order of availability changes.
 */
import mqtt, { type MqttClient } from "mqtt";

export interface Observed {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

export interface Observer {
  readonly messages: Observed[];
  on(topic: string): Observed[];
  until(what: string, check: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * `session`: a persistent session (clean = false) under this client id, so messages published while the
 * observer is disconnected (e.g. while the broker restarts) are kept for it at QoS 1.
 */
export async function observe(url: string, filter = "accusolar/#", session?: string): Promise<Observer> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 200,
    ...(session !== undefined && { clientId: session, clean: false }),
  });
  const messages: Observed[] = [];
  client.on("message", (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    messages,
    on: (topic) => messages.filter((m) => m.topic === topic),
    until: async (what, check, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => client.endAsync(true),
  };
}
