/**
 * A real browser for the web-page tests: Debian's headless chromium (scripts/setup-test-env.sh installs
 * it) driven by playwright-core, which never downloads a browser of its own. Like the Mosquitto suites,
 * a machine without chromium prints why the suite skips, and under CI=true that is a failure instead.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** Quiet, offline and reproducible: no updates, sync or first-run pages, no GPU. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function findChromium(): string | undefined {
  return CANDIDATES.find((path) => {
    if (!path) return false;
    try {
      execFileSync(path, ["--version"], { stdio: "ignore", timeout: 15_000 });
      return true;
    } catch {
      return false;
    }
  });
}

export function chromiumSkipReason(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  if (findChromium()) return undefined;
  const reason =
    "skipping browser tests: missing chromium (apt install chromium, or bash scripts/setup-test-env.sh)";
  if (env.CI === "true") throw new Error(`${reason} (CI=true: these tests must run)`);
  console.warn(reason);
  return reason;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile each time (its own --user-data-dir), removed on close. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "bms-console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: findChromium() as string,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
