/**
 * The console in a real browser (headless Debian chromium through playwright-core): the page loads with
 * no console errors and shows the battery; dragging a control changes what a JBD client reads through the
 * emulator's TCP port (the bms-emu path) and what the bridge publishes (the demo path, embedded broker);
 * a change made elsewhere reaches the page as a live update. Screenshots at desktop and phone widths are
 * written to a temp folder (or CONSOLE_SCREENSHOT_DIR, which is how docs/images/console.png was made).
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectBattery } from "../../src/connect.js";
import { type RunningEmulator, startEmulator } from "../../src/emulator/app.js";
import { type RunningConsole, startEmulatorConsole } from "../../src/emulator/console/start.js";
import { systemClock } from "../../src/util/clock.js";
import { type Browser, chromiumSkipReason, launchChromium } from "../support/chromium.js";

vi.setConfig({ testTimeout: 180_000 });

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SHOTS = process.env.CONSOLE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), "bms-console-shots-"));
const skip = chromiumSkipReason() !== undefined;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens the page and collects every console error and uncaught exception. */
async function openConsole(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(url);
  await page
    .locator("#battery-1")
    .waitFor({ timeout: 30_000 })
    .catch((error: Error) => {
      throw new Error(`${error.message}; page errors: ${errors.join(" | ")}; page: ${url}`);
    });
  return { page, errors };
}

/** Drags a slider's thumb with the mouse to `fraction` of its track; returns the value it then has. */
async function drag(page: Page, label: RegExp, fraction: number): Promise<number> {
  const slider = page.getByLabel(label).first();
  const box = await slider.boundingBox();
  if (!box) throw new Error(`slider ${label} is not visible`);
  const [min, max, value] = await slider.evaluate((el) => {
    const input = el as unknown as { min: string; max: string; value: string };
    return [Number(input.min), Number(input.max), Number(input.value)];
  });
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + ((value - min) / (max - min)) * box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + fraction * box.width, y, { steps: 8 });
  await page.mouse.up();
  return Number(await slider.inputValue());
}

const metricText = (page: Page, name: string) =>
  page.locator("#battery-1 .metric", { hasText: name }).locator(".value").textContent();

describe.skipIf(skip)("the console in a real browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe("bms-emu --tcp … --console …", () => {
    let emulator: RunningEmulator;
    let running: RunningConsole;
    beforeAll(async () => {
      emulator = await startEmulator({
        count: 1,
        faults: [],
        scenario: "charge",
        speed: 60,
        serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
      });
      running = await startEmulatorConsole(emulator, { host: "127.0.0.1", port: 0, clock: systemClock });
    });
    afterAll(async () => {
      await running?.close();
      await emulator?.stop();
    });

    it("loads with no errors, shows the battery, and a dragged slider is what a JBD client reads", async () => {
      const { page, errors } = await openConsole(browser, running.server.url);
      const address = emulator.batteries[0]?.address as string;
      await expect(page.locator("#battery-1-title").textContent()).resolves.toContain(address);
      expect(await page.locator("#battery-1 .cell").count()).toBe(4);
      await until("a live update", async () =>
        Number(await page.evaluate("document.body.dataset.updates ?? '0'")) >= 2 ? true : undefined,
      );
      const current = await drag(page, /^Current \(A\)/, 0.2);
      expect(current).toBeLessThan(-50);
      const port = emulator.served.endpoints[0]?.[0]?.port as number;
      const jbd = await connectBattery(`tcp:127.0.0.1:${port}`);
      try {
        await until(`a 0x03 read of ${current} A`, async () =>
          (await jbd.client.readBasicInfo()).currentA === current ? true : undefined,
        );
      } finally {
        await jbd.close();
      }
      // a change made elsewhere (the API, as a script would) reaches the page as a live update
      await running.console.patch(1, { soc_pct: 12, fault: "delay:300" });
      await until("SoC 12 on the page", async () =>
        (await metricText(page, "SoC")) === "12" ? true : undefined,
      );
      await expect(page.locator("#battery-1 .chip.fault").textContent()).resolves.toBe("delay:300");
      // and the chart's samples follow: its current panel ends at the dragged value
      await until("the chart at the new current", async () =>
        (await page.locator("#battery-1 .chart .reading").nth(1).textContent()) === `${current.toFixed(1)} A`
          ? true
          : undefined,
      );
      await page.screenshot({ path: join(SHOTS, "console.png") });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(SHOTS, "console-phone.png"), fullPage: true });
      const overflow = Number(
        await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"),
      );
      expect(overflow).toBeLessThanOrEqual(0); // nothing wider than a phone
      expect(errors).toEqual([]);
      console.log(`console screenshots: ${SHOTS}`);
      await page.close();
    });
  });

  describe("bms-bridge demo", () => {
    it("a dragged slider is what the bridge publishes through the embedded broker", async () => {
      // node --import tsx, not the tsx command: on a busy machine tsx's signal relay kills the child (exit 130)
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          join(ROOT, "src/cli/bms-bridge.ts"),
          "demo",
          "--port",
          "0",
          "--no-ws",
          "--poll-interval",
          "1",
        ].concat(["--console", "127.0.0.1:0"]),
        { cwd: ROOT },
      );
      let output = "";
      child.stdout.on("data", (d) => {
        output += String(d);
      });
      try {
        const url = await until(
          "the banner",
          () => /console\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1],
          90_000,
        );
        const brokerPort = /broker\s+mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        const seen = new Map<string, string>();
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { protocolVersion: 4 });
        client.on("message", (topic, payload) => seen.set(topic, payload.toString()));
        await client.subscribeAsync("accusolar/battery/current");
        const { page, errors } = await openConsole(browser, url);
        const current = await drag(page, /^Current \(A\)/, 0.75);
        expect(current).toBeGreaterThan(100);
        await until(`accusolar/battery/current ${current}.00`, () =>
          seen.get("accusolar/battery/current") === `${current}.00` ? true : undefined,
        );
        expect(errors).toEqual([]);
        await page.close();
        await client.endAsync();
      } finally {
        child.kill("SIGINT");
      }
    });
  });
});
