/** BLE transport (noble). Only the files in this folder import @stoprocent/noble, and only lazily. */
export { type BleAdapter, type BleAdapterOptions, describeHci, openBleAdapter } from "./adapter.js";
export { type DiscoveredCharacteristic, type DiscoveredService, discoverBle } from "./discover.js";
export {
  type AdvertisementFacts,
  hasJbdFingerprint,
  type JbdVerdict,
  jbdManufacturerData,
  judgeJbd,
  shortUuid,
} from "./jbd-verdict.js";
export { BleLink, openBleLink } from "./link.js";
export {
  type BleLinkOpener,
  type BleLinkOpenerOptions,
  createBleLinkOpener,
  createBleOpener,
} from "./opener.js";
export { type Operation, OperationQueue, type QueueEvent } from "./operation-queue.js";
export {
  byStrongestSignal,
  type ScannedDevice,
  type ScanOptions,
  type ScanProgress,
  scanBle,
} from "./scan.js";
