/**
 * The Accu-Solar contract, run against any broker: bridge publisher → broker → a client that reads like
 * Accu-Solar (src/testing/accu-solar-client.ts). Expected values come from the first live reading shown in the Accu-Solar BMS setup guide.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { EventBus } from "../../../src/bridge/event-bus.js";
import { MqttConnection } from "../../../src/bridge/mqtt/connection.js";
import { AccuSolarPublisher } from "../../../src/bridge/publish/accu-solar-publisher.js";
import { createBridgeState } from "../../../src/bridge/state/bridge-state.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { readLikeAccuSolar, sampleReading } from "../../../src/testing/index.js";
import { systemClock } from "../../../src/util/clock.js";

export interface BrokerUnderTest {
  host: string;
  port: number;
  close(): Promise<void>;
}

export function accuSolarContract(startBroker: () => Promise<BrokerUnderTest>): void {
  let broker: BrokerUnderTest;
  let connection: MqttConnection;
  let publisher: AccuSolarPublisher;
  let bus: EventBus;

  beforeEach(async () => {
    broker = await startBroker();
    const logger = createMemoryLogger();
    bus = new EventBus();
    connection = new MqttConnection(
      { logger, clock: systemClock },
      { url: `mqtt://${broker.host}:${broker.port}` },
    );
    const state = createBridgeState({ bus, clock: systemClock }, { batteryIds: ["1"], bankWindowMs: 0 });
    publisher = new AccuSolarPublisher({ bus, mqtt: connection, logger, clock: systemClock, state });
    await publisher.start();
    state.bank.attach();
    await connection.start();
    await connection.waitForConnect();
  });

  afterEach(async () => {
    await publisher.stop();
    await connection.stop();
    await broker.close();
  });

  const settle = async (): Promise<void> => {
    await publisher.whenIdle();
    await connection.whenDelivered();
  };

  it("Accu-Solar sees a complete, consistent set in volts within its 2 s window", async () => {
    bus.emit("availability", { batteryId: "1", state: "online", reason: "connected", time: Date.now() });
    bus.emit("reading", sampleReading({ time: Date.now() }));
    await settle();
    const view = await readLikeAccuSolar({ host: broker.host, port: broker.port });
    expect(view).toEqual({
      voltage: 13.45,
      current: 9.93,
      soc: 71,
      power: 133.6,
      temp: 9,
      cells: [3.361, 3.362, 3.36, 3.363],
      missing: [],
      // 6 single topics + status, all retained
      messages: 7,
    });
  });

  it("Accu-Solar sees no telemetry at all once the battery went offline", async () => {
    bus.emit("reading", sampleReading({ time: Date.now() }));
    await settle();
    const before = await readLikeAccuSolar({ host: broker.host, port: broker.port });
    expect(before.missing).toEqual([]);

    bus.emit("availability", {
      batteryId: "1",
      state: "offline",
      reason: "no reading for 30 s",
      time: Date.now(),
    });
    await settle();
    const view = await readLikeAccuSolar({ host: broker.host, port: broker.port });
    expect(view.messages).toBe(0);
    expect(view.missing).toEqual(["voltage", "current", "soc", "power", "temp", "cells"]);
  });
}
