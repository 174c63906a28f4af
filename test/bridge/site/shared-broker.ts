/**
 * One in-memory broker for several bridges in one test (each a siteRig with its own FakeMqtt client):
 * what one client publishes reaches every matching subscription of every client, the publisher's own
 * included (a broker echoes to a subscribed publisher); retained messages are kept once, an empty retained
 * payload deletes ([MQTT-3.3.1-10]), and a new subscription gets the retained messages it matches, as a
 * broker sends them after the SUBACK. Delivery is synchronous, like FakeMqtt.deliver. `sentTo` counts the
 * messages it sent a client: one per matching subscription, as Mosquitto does on MQTT 5 (docs/mqtt.md "Who
 * subscribes to what").
 */
import type { MqttMessageHandler, MqttPublishOptions } from "../../../src/bridge/mqtt/port.js";
import { topicMatches } from "../../../src/bridge/mqtt/topics.js";
import { FakeMqtt } from "../../../src/testing/index.js";

export class SharedBroker {
  readonly retained = new Map<string, string>();
  readonly #clients: BrokerClient[] = [];
  readonly #sent = new Map<FakeMqtt, string[]>();

  /** A new client of this broker, connected (`mqtt5`: it says its batteries `online` with each reading). */
  client(options: { mqtt5?: boolean } = {}): FakeMqtt {
    const client = new BrokerClient(this, options.mqtt5 ?? false);
    this.#clients.push(client);
    this.#sent.set(client, []);
    return client;
  }

  /** The topics of the messages this broker sent `client` (retained ones on subscribing included). */
  sentTo(client: FakeMqtt): readonly string[] {
    return this.#sent.get(client) ?? [];
  }

  /** One message to `client` per subscription of its (or of `filters`: a new one's retained) that matches. */
  countSent(client: FakeMqtt, topic: string, filters = client.subscriptions): void {
    for (const filter of filters) if (topicMatches(filter, topic)) this.#sent.get(client)?.push(topic);
  }

  route(topic: string, payload: string, retain: boolean): void {
    if (retain) {
      if (payload === "") this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const client of this.#clients) {
      this.countSent(client, topic);
      client.deliver(topic, payload, { retain: false });
    }
  }
}

class BrokerClient extends FakeMqtt {
  readonly #broker: SharedBroker;

  constructor(broker: SharedBroker, mqtt5: boolean) {
    super({ mqtt5 });
    this.#broker = broker;
  }

  override publish(topic: string, payload: string | Buffer, options: MqttPublishOptions = {}): Promise<void> {
    const recorded = super.publish(topic, payload, options);
    this.#broker.route(topic, payload.toString(), options.retain ?? false);
    return recorded;
  }

  override async subscribe(filter: string, handler: MqttMessageHandler): Promise<() => Promise<void>> {
    const unsubscribe = await super.subscribe(filter, handler);
    // the client hands each message to every matching handler (src/bridge/mqtt/subscriptions.ts)
    for (const [topic, payload] of this.#broker.retained)
      if (topicMatches(filter, topic)) {
        this.#broker.countSent(this, topic, [filter]);
        this.deliver(topic, payload, { retain: true });
      }
    return unsubscribe;
  }
}
