/**
 * The one way the bridge writes to a battery (MQTT control and the mirror's phone app, both only with
 * --allow-control): inside the battery's poller group (never during a poll, one operation at a time on
 * the adapter), the write, then 0x03 + 0x04 read back. The read-back becomes the battery's latest
 * reading, so what the caller confirms against is what the bridge publishes next.
 */
import type { BasicInfo } from "../../../protocol/registers/basic-info.js";
import type { BmsClient } from "../../device/client.js";
import type { ExclusiveAccess } from "../../device/poller.js";

/** The part of the poller a write needs (tests pass a fake). */
export interface ExclusiveRunner {
  runExclusive<T>(batteryId: string, operation: (access: ExclusiveAccess) => Promise<T>): Promise<T>;
}

export interface WriteOutcome<T> {
  /** What `write` returned (the BMS's reply to the write). */
  written: T;
  /** 0x03 read right after the write. */
  after: BasicInfo;
}

export function writeAndReadBack<T>(
  device: ExclusiveRunner,
  batteryId: string,
  write: (client: BmsClient) => Promise<T>,
): Promise<WriteOutcome<T>> {
  return device.runExclusive(batteryId, ({ session, keepConnected, signal }) =>
    session.withClient(
      async (client) => {
        const written = await write(client);
        const after = await client.readBasicInfo();
        session.acceptReading(after, await client.readCellVoltages());
        return { written, after };
      },
      { keepConnected, signal },
    ),
  );
}
