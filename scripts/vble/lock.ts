/**
 * A host-wide lock for the virtual BLE lab, held as a listening unix socket.
 *
 * Why a socket and not a file: btvirt's socket paths are fixed under /tmp, so only one lab can run on a
 * host, and several engineers and test runs share it. A listening socket dies with its process, so a
 * crashed holder never leaves a lock that looks alive: a socket file nobody answers on is stale and removed.
 * A connecting client gets the holder's description (pid, purpose) to explain what it is waiting for.
 */
import { rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";

export const LAB_LOCK_PATH = "/tmp/bms-vble.lock";

export interface HeldLock {
  release(): Promise<void>;
}

/** What a live holder says about itself; undefined when nothing answers (stale or absent). */
export async function probeLock(path = LAB_LOCK_PATH, timeoutMs = 1000): Promise<string | undefined> {
  return await new Promise((resolve) => {
    const socket = connect(path);
    let text = "";
    const finish = (value: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(text || "a live holder (no description)"), timeoutMs);
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
    });
    socket.on("end", () => finish(text || "a live holder (no description)"));
    socket.on("error", () => finish(undefined));
  });
}

function listenOnce(path: string, description: string): Promise<Server | "in-use"> {
  return new Promise((resolve, reject) => {
    const server = createServer((client) => client.end(description));
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") resolve("in-use");
      else reject(error);
    });
    server.listen(path, () => resolve(server));
  });
}

/**
 * Takes the lock, waiting at most `waitMs` for a live holder to let go. Rejects with a message naming the
 * holder when the wait runs out. `onWait` is told once that we are waiting and why.
 */
export async function acquireLabLock(options: {
  description: string;
  waitMs: number;
  path?: string;
  onWait?: (holder: string) => void;
}): Promise<HeldLock> {
  const path = options.path ?? LAB_LOCK_PATH;
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    const result = await listenOnce(path, options.description);
    if (result !== "in-use") {
      result.unref();
      return { release: () => new Promise<void>((resolve) => result.close(() => resolve())) };
    }
    const holder = await probeLock(path);
    if (holder === undefined) {
      rmSync(path, { force: true }); // stale: its owner died without closing it
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`the virtual BLE lab is in use by ${holder}; waited ${options.waitMs} ms`);
    }
    if (!told) options.onWait?.(holder);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
