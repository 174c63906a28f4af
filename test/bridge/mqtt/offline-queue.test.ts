import { describe, expect, it } from "vitest";
import { OfflineQueue, type QueuedPublish, remainingExpiry } from "../../../src/bridge/mqtt/offline-queue.js";

const item = (n: number, extra: Partial<QueuedPublish> = {}): QueuedPublish => ({
  topic: `t/${n}`,
  payload: String(n),
  options: { qos: 1 },
  queuedAt: 0,
  ...extra,
});

describe("OfflineQueue", () => {
  it("keeps everything up to its limit, oldest first", () => {
    const queue = new OfflineQueue(3);
    for (const n of [1, 2, 3]) expect(queue.push(item(n))).toBeUndefined();
    expect(queue.drain()).toEqual({ items: [item(1), item(2), item(3)], dropped: 0 });
    expect(queue.size).toBe(0);
  });

  it("drops and counts the oldest when full", () => {
    const queue = new OfflineQueue(2);
    for (const n of [1, 2, 3, 4, 5]) queue.push(item(n));
    expect(queue.droppedTotal).toBe(3);
    const { items, dropped } = queue.drain();
    expect(items.map((i) => i.topic)).toEqual(["t/4", "t/5"]);
    expect(dropped).toBe(3);
    queue.push(item(6));
    expect(queue.drain().dropped).toBe(0);
    expect(queue.droppedTotal).toBe(3);
  });

  it("refuses a limit below 1", () => {
    expect(() => new OfflineQueue(0)).toThrow(RangeError);
  });

  it("shortens the message expiry by the time spent waiting, down to 0 = expired", () => {
    const queued = item(1, { options: { messageExpirySeconds: 60 }, queuedAt: 1_000 });
    expect(remainingExpiry(queued, 1_000)).toBe(60);
    expect(remainingExpiry(queued, 21_000)).toBe(40);
    expect(remainingExpiry(queued, 61_000)).toBe(0);
    expect(remainingExpiry(queued, 99_000)).toBe(0);
    expect(remainingExpiry(item(2), 99_000)).toBeUndefined();
  });
});
