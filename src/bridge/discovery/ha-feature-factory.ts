/**
 * Home Assistant discovery as a bridge FeatureFactory: add `haDiscoveryFeature` to the feature list in
 * bridge.ts. It runs when `mqtt.ha_discovery` is on, announces the energy counters when an energy state
 * file is configured and the bank device when the bank view runs (more than one battery, as bridge.ts
 * decides for createBankFeature).
 */
import { PACKAGE_VERSION } from "../../cli/version.js";
import type { FeatureFactory } from "../bridge.js";
import { createHaDiscovery } from "./home-assistant.js";

export const haDiscoveryFeature: FeatureFactory = ({ config, logger, clock, bus, mqtt }) =>
  config.mqtt.haDiscovery
    ? createHaDiscovery(
        { logger, clock, bus, mqtt },
        {
          prefix: config.mqtt.topicPrefix,
          discoveryPrefix: config.mqtt.haDiscoveryPrefix,
          pollIntervalS: config.bridge.pollIntervalS,
          batteries: config.batteries,
          energy: config.bridge.energyStateFile !== undefined,
          bank: config.batteries.length > 1,
          swVersion: PACKAGE_VERSION,
        },
      )
    : undefined;
