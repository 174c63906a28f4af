/** Reads the retained messages under a filter with mqtt.js (a fresh subscriber sees exactly those). */
import mqtt from "mqtt";

export async function readRetained(
  url: string,
  filter: string,
  windowMs = 300,
): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const retained = new Map<string, string>();
  client.on("message", (topic, payload, packet) => {
    if (packet.retain) retained.set(topic, payload.toString());
  });
  await client.subscribeAsync(filter, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  await client.endAsync(true);
  return retained;
}

/** Polls until `predicate` holds (or throws after `attempts`); waiting, not a timing assertion. */
export async function eventually<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  attempts = 100,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await read();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met; last value: ${JSON.stringify(last instanceof Map ? [...last] : last)}`);
}
