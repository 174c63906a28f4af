/** The public "./testing" entry: fakes and harnesses shared by our tests and by users' tests. */
export { topicMatches } from "../bridge/mqtt/topics.js";
export { createEmulatedBattery, EmulatedBattery, type EmulatedBatteryOptions } from "../emulator/battery.js";
export { linkToBattery } from "../emulator/memory-link.js";
export type { RecordedRequest } from "../emulator/request-log.js";
export {
  listScenarios,
  loadScenario,
  loadScenarioFile,
  scenarioBatteryOptions,
} from "../emulator/scenario-files.js";
export { ACCU_SOLAR_TOPICS, type AccuSolarView, readLikeAccuSolar } from "./accu-solar-client.js";
export {
  type FakeDoctorFacts,
  FakeDoctorSystem,
  HEALTHY_UNIT,
  healthyDoctorFacts,
} from "./fake-doctor-system.js";
export { FakeMqtt, type RecordedPublish } from "./fake-mqtt.js";
export { ManualClock } from "./manual-clock.js";
export {
  findMosquitto,
  freeLoopbackPort,
  type MosquittoOptions,
  mosquittoSkipReason,
  type RunningMosquitto,
  startMosquitto,
} from "./mosquitto.js";
export { SAMPLE_CELLS_MV, type SampleReadingOptions, sampleBasicInfo, sampleReading } from "./readings.js";
export {
  DEFAULT_MODEL,
  healthyReply,
  type ReplyScript,
  ScriptedBms,
  type ScriptedReply,
} from "./scripted-bms.js";
export { startTcpEmulator, type TcpEmulator } from "./tcp-emulator.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
