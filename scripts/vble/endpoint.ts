/**
 * One endpoint of the lab: its relay (relay.ts, owning the btvirt controller) and the socat that gives it
 * a pty. Unplugging stops that socat, so the pty disappears like a USB adapter pulled out; replugging
 * starts a new one at the same path, in front of the same controller (same address).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RadioModel } from "./radio.js";
import { EndpointRelay, type EndpointState, type FreezeOptions } from "./relay.js";

const STEP_TIMEOUT_MS = 5000;

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`virtual BLE lab: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function startChild(command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { stdio: "ignore", env: env ?? process.env });
  child.on("error", () => {}); // a failed start shows up as a timed-out wait
  return child;
}

export function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("exit", () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export class LabEndpoint {
  readonly index: number;
  readonly pty: string;
  readonly #relay: EndpointRelay;
  #socat: ChildProcess | undefined;

  private constructor(index: number, pty: string, relay: EndpointRelay) {
    this.index = index;
    this.pty = pty;
    this.#relay = relay;
  }

  /** A new btvirt controller (the next index) behind a relay, plugged in at `<dir>/hci-<index>`. */
  static async start(index: number, dir: string, btvirtSocket: string): Promise<LabEndpoint> {
    const relay = await EndpointRelay.start(btvirtSocket, join(dir, `relay-${index}.sock`));
    const endpoint = new LabEndpoint(index, join(dir, `hci-${index}`), relay);
    try {
      await endpoint.replug();
    } catch (error) {
      await relay.close();
      throw error;
    }
    return endpoint;
  }

  get pid(): number {
    return this.#socat?.pid ?? -1;
  }

  get state(): EndpointState {
    return this.#relay.state;
  }

  /** The pty disappears; the controller drops its links and is reset. Resolves once both happened. */
  async unplug(): Promise<void> {
    const socat = this.#socat;
    this.#socat = undefined;
    if (socat) await killAndWait(socat);
    // socat's exit closes the relay's host side, which drops the links and resets the controller
    await waitFor(
      `endpoint ${this.index} to be unplugged`,
      () => !this.#relay.state.plugged,
      STEP_TIMEOUT_MS,
    );
    await waitFor(`pty ${this.pty} to disappear`, () => !existsSync(this.pty), STEP_TIMEOUT_MS);
  }

  /** A pty at the same path again, in front of the same controller. */
  async replug(): Promise<void> {
    if (this.#socat) return;
    const socat = startChild("socat", [
      `PTY,link=${this.pty},raw,echo=0`,
      `UNIX-CONNECT:${this.#relay.socketPath}`,
    ]);
    this.#socat = socat;
    await waitFor(
      `socat pty ${this.pty}`,
      () => (existsSync(this.pty) && this.#relay.state.plugged) || socat.exitCode !== null,
      STEP_TIMEOUT_MS,
    );
    if (socat.exitCode !== null) throw new Error(`virtual BLE lab: endpoint ${this.index}'s socat exited`);
  }

  freeze(options?: FreezeOptions): void {
    this.#relay.freeze(options);
  }

  thaw(): void {
    this.#relay.thaw();
  }

  setRadio(model: RadioModel | undefined): void {
    this.#relay.setRadio(model);
  }

  /** For a process 'exit' handler: no waiting possible there. */
  killNow(): void {
    this.#socat?.kill("SIGTERM");
  }

  async stop(): Promise<void> {
    if (this.#socat) await killAndWait(this.#socat);
    this.#socat = undefined;
    await this.#relay.close();
  }
}
