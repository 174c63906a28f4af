import { describe } from "vitest";
import { startBroker } from "../../../src/broker/broker.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { accuSolarContract } from "./accu-solar-contract.js";

describe("Accu-Solar contract through the embedded aedes broker", () => {
  accuSolarContract(async () => {
    const broker = await startBroker({
      hosts: ["127.0.0.1"],
      port: 0,
      wsPort: null,
      logger: createMemoryLogger(),
    });
    return { host: "127.0.0.1", port: broker.ports.mqtt, close: () => broker.close() };
  });
});
