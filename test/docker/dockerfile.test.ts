/**
 * The container files checked without a container engine (this machine has only the docker client):
 * the Dockerfile's structure (two stages, a runtime stage with no source, non-root, a base with official
 * amd64/arm64/arm/v7 images, the README's install command), the .dockerignore, and compose.yaml's BLE
 * settings. test/e2e/package-install.e2e.test.ts packs from exactly the build stage's inputs and runs the
 * same global install.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildStageSources, dockerIgnore, parseDockerfile } from "../e2e/support/docker-context.js";
import { documentedAllowScripts } from "../e2e/support/packed-install.js";
import { REPO_ROOT } from "../support/repo-root.js";

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const { args, stages } = parseDockerfile(dockerfile);
const [build, runtime] = stages;

describe("Dockerfile", () => {
  it("has a build stage and a runtime stage on the same Node.js image", () => {
    expect(stages.map((stage) => stage.name)).toEqual(["build", "runtime"]);
    expect(build?.from).toBe(runtime?.from);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG reference, verbatim
    expect(build?.from).toBe("node:${NODE_VERSION}-bookworm-slim");
  });

  it("uses a Node.js line with official linux/amd64, linux/arm64 and linux/arm/v7 images (≤ 22)", () => {
    const version = /^NODE_VERSION=(\d+)$/.exec(args.find((arg) => arg.op === "ARG")?.args ?? "")?.[1];
    const major = Number(version);
    // 20.19 is the package's minimum; Node.js 24 has no official 32-bit ARM build
    expect(major).toBeGreaterThanOrEqual(20);
    expect(major).toBeLessThanOrEqual(22);
  });

  it("builds the release tarball in the build stage and installs only it in the runtime stage", () => {
    const runs = (stage: typeof build) =>
      stage?.instructions.filter((i) => i.op === "RUN").map((i) => i.args) ?? [];
    expect(runs(build)).toEqual(["npm ci --no-audit --no-fund", "npm pack --pack-destination /pkg"]);
    const copies = runtime?.instructions.filter((i) => i.op === "COPY").map((i) => i.args);
    expect(copies).toEqual(["--from=build /pkg/ /pkg/"]);
    const [install] = runs(runtime);
    expect(install).toContain(
      `npm install -g /pkg/bms-bridge-*.tgz --allow-scripts=${documentedAllowScripts()}`,
    );
    expect(install).toContain("rm -rf /pkg /root/.npm");
  });

  it("runs as the unprivileged node user with bms-bridge as the entry point", () => {
    const last = (op: string) => runtime?.instructions.filter((i) => i.op === op).at(-1)?.args;
    expect(last("USER")).toBe("node");
    expect(last("ENTRYPOINT")).toBe('["bms-bridge"]');
    expect(last("CMD")).toBe('["run"]');
  });
});

describe(".dockerignore", () => {
  const ignored = dockerIgnore(readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8"));

  it("keeps local state and bulk out of the context", () => {
    for (const path of [
      "node_modules/mqtt/package.json",
      "dist/index.js",
      ".git/HEAD",
      "test/x.test.ts",
      "bms-bridge-0.1.0.tgz",
    ])
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
  });

  it("lets through every file the build stage copies", () => {
    for (const source of buildStageSources(dockerfile))
      expect({ source, ignored: ignored(source) }).toEqual({ source, ignored: false });
    expect(ignored("fixtures/scenarios/captures/dp04s007-ble.log")).toBe(false);
  });
});

describe("compose.yaml", () => {
  const compose = parse(readFileSync(join(REPO_ROOT, "compose.yaml"), "utf8")) as {
    services: Record<string, Record<string, unknown>>;
  };

  it("runs Mosquitto with its config and the bridge built from this Dockerfile", () => {
    expect(compose.services.mosquitto?.image).toMatch(/^eclipse-mosquitto:2/);
    expect(compose.services.mosquitto?.volumes).toContain(
      "./docker/mosquitto.conf:/mosquitto/config/mosquitto.conf:ro",
    );
    expect(compose.services["bms-bridge"]?.build).toBe(".");
  });

  it("gives the bridge what BLE through the host's adapter needs", () => {
    const bridge = compose.services["bms-bridge"] ?? {};
    expect(bridge.network_mode).toBe("host");
    expect(bridge.cap_add).toEqual(expect.arrayContaining(["NET_ADMIN", "NET_RAW"]));
    expect(bridge.user).toBe("0");
    expect(Object.keys(bridge.environment as object)).toEqual([
      "BMS_ADDRESS",
      "MQTT_BROKER",
      "MQTT_PORT",
      "POLL_INTERVAL",
    ]);
    expect(bridge.restart).toBe("unless-stopped");
  });
});
