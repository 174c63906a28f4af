/**
 * A round trip through the broker (MqttPort.sync, connection.ts): subscribes to a topic of the client's
 * own, publishes a token there and waits for it to come back (at most `limitMs`). The broker handles one
 * client's packets in order, so the retained messages of the subscriptions made before have arrived by then
 * (the site's election reads the broker this way: src/bridge/site/site-feature.ts).
 */
import { type Clock, settleWithin } from "../../util/clock.js";
import type { MqttPort } from "./port.js";

export async function roundTrip(
  port: Pick<MqttPort, "subscribe" | "publish">,
  clock: Clock,
  how: { topic: string; token: string; qos: 0 | 1 | 2; limitMs: number },
): Promise<void> {
  let echoed: () => void = () => {};
  const back = new Promise<void>((resolve) => {
    echoed = resolve;
  });
  const unsubscribe = await port.subscribe(how.topic, (_topic, payload) => {
    if (payload.toString() === how.token) echoed();
  });
  try {
    await port.publish(how.topic, how.token, { qos: how.qos, retain: false });
    await settleWithin(clock, how.limitMs, back);
  } finally {
    await unsubscribe();
  }
}
