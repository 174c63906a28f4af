/** The configured broker accepts a connection with the configured credentials and TLS settings. */
import { blockedBy } from "../ble-targets.js";
import type { Check } from "../types.js";

const ID = "broker";

/** What to change, from the one-line reason the connection gave (src/bridge/mqtt/options.ts words). */
function brokerFix(reason: string): string {
  if (/user name|password|not authori[sz]ed/i.test(reason))
    return "check MQTT_USERNAME / MQTT_PASSWORD (or mqtt.username / mqtt.password) against the broker's users";
  if (/TLS|certificate|self[- ]signed|altname|CA file/i.test(reason))
    return "check MQTT_TLS, MQTT_CA_FILE (the CA that signed the broker's certificate) and the host name in the certificate";
  if (/nothing is listening|ECONNREFUSED/i.test(reason))
    return "start the broker (sudo systemctl status mosquitto) or fix MQTT_BROKER / MQTT_PORT";
  return "check MQTT_BROKER and MQTT_PORT, that the host is reachable (ping) and that no firewall drops port 1883/8883";
}

export const brokerCheck: Check = {
  id: ID,
  title: "MQTT broker",
  run: async (input) => {
    const blocked = blockedBy(ID, input, "config");
    if (blocked || !input.config.ok) return blocked ?? { id: ID, status: "skip", summary: "skipped" };
    const { mqtt } = input.config.config;
    const outcome = await input.system.connectBroker(mqtt, input.options.brokerTimeoutMs);
    const how = [mqtt.username ? `as ${mqtt.username}` : "anonymously", mqtt.tls ? "TLS verified" : ""]
      .filter(Boolean)
      .join(", ");
    if (outcome.ok)
      return { id: ID, status: "pass", summary: `${mqtt.url} accepted the connection (${how})` };
    return {
      id: ID,
      status: "fail",
      summary: `${mqtt.url}: ${outcome.reason}`,
      fix: brokerFix(outcome.reason),
    };
  },
};
