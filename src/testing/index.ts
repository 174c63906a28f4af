/** The public "./testing" entry: fakes and harnesses shared by our tests and by users' tests. */
export { createEmulatedBattery, EmulatedBattery, type EmulatedBatteryOptions } from "../emulator/battery.js";
export { linkToBattery } from "../emulator/memory-link.js";
export type { RecordedRequest } from "../emulator/request-log.js";
export { FakeMqtt, type RecordedPublish, topicMatches } from "./fake-mqtt.js";
export { ManualClock } from "./manual-clock.js";
export { type SampleReadingOptions, SEED_CELLS_MV, sampleBasicInfo, sampleReading } from "./readings.js";
