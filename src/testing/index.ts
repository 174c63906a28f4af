/** The public "./testing" entry: fakes and harnesses shared by our tests and by users' tests. */
export { FakeMqtt, type RecordedPublish, topicMatches } from "./fake-mqtt.js";
export { type SampleReadingOptions, SEED_CELLS_MV, sampleBasicInfo, sampleReading } from "./readings.js";
