import { describe } from "vitest";
import { mosquittoSkipReason, startMosquitto } from "../../../src/testing/index.js";
import { accuSolarContract } from "./accu-solar-contract.js";

describe.skipIf(mosquittoSkipReason())("Accu-Solar contract through a real Mosquitto", () => {
  accuSolarContract(async () => {
    const mosquitto = await startMosquitto();
    return { host: mosquitto.host, port: mosquitto.port, close: () => mosquitto.dispose() };
  });
});
