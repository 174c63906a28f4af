/**
 * A real Mosquitto (2.0.x, foreground `mosquitto -c conf`) for tests: a free loopback port, a generated
 * config (anonymous, password file, or a TLS listener signed by a throwaway CA), stop/restart on the same
 * port for broker-fault tests, and kill by PID. Suites call `mosquittoSkipReason()` first: it says why they
 * skip, and throws under CI=true so a CI machine without Mosquitto fails instead of silently skipping.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const MOSQUITTO_CANDIDATES = ["mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"];

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 5000 });
    return true;
  } catch (error) {
    // `mosquitto -h` prints its usage and exits 3: it exists.
    return (
      (error as { status?: number }).status !== undefined && (error as { code?: string }).code !== "ENOENT"
    );
  }
}

export function findMosquitto(): string | undefined {
  return MOSQUITTO_CANDIDATES.find((candidate) => runs(candidate, ["-h"]));
}

/**
 * Undefined when Mosquitto (and, with `tls`, openssl; with `auth`, mosquitto_passwd) can run here.
 * Otherwise prints and returns the reason; under CI=true it throws instead.
 */
export function mosquittoSkipReason(
  needs: { tls?: boolean; auth?: boolean; clients?: boolean } = {},
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const missing: string[] = [];
  if (!findMosquitto()) missing.push("mosquitto (apt install mosquitto)");
  if (needs.auth && !runs("mosquitto_passwd", ["-h"])) missing.push("mosquitto_passwd");
  if (needs.clients && !runs("mosquitto_sub", ["--help"]))
    missing.push("mosquitto_sub (apt install mosquitto-clients)");
  if (needs.tls && !runs("openssl", ["version"])) missing.push("openssl");
  if (missing.length === 0) return undefined;
  const reason = `skipping real-Mosquitto tests: missing ${missing.join(", ")}`;
  if (env.CI === "true") throw new Error(`${reason} (CI=true: these tests must run)`);
  console.warn(reason);
  return reason;
}

export interface MosquittoOptions {
  /** Require this login (password_file made with `mosquitto_passwd -c -b`). */
  auth?: { username: string; password: string };
  /** Serve MQTT over TLS with a certificate for 127.0.0.1/localhost signed by a throwaway CA. */
  tls?: boolean;
  /** Keep retained messages across restart() (persistence file in the temp dir). Default false. */
  persistence?: boolean;
  /** More mosquitto.conf lines, e.g. a `connection` bridging this broker to another (docs/deploy.md). */
  extraConfig?: readonly string[];
}

export interface RunningMosquitto {
  host: string;
  port: number;
  /** `mqtt://127.0.0.1:<port>` or `mqtts://…` */
  url: string;
  /** The throwaway CA certificate (PEM path) when `tls` is on. */
  caFile: string | undefined;
  readonly pid: number | undefined;
  /** Everything Mosquitto printed (stderr), for failure messages. */
  output(): string;
  /** Graceful stop (SIGTERM) and wait for the exit. */
  stop(): Promise<void>;
  /** stop() then start again on the same port with the same config. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** stop() and remove the temp dir. */
  dispose(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

function makeTlsFiles(dir: string): { ca: string; cert: string; key: string } {
  const p = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore", timeout: 20_000 });
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=bms-bridge test CA",
  ]);
  openssl(["req", ...ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(p("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl([
    "x509",
    "-req",
    "-in",
    p("server.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-out",
    p("server.crt"),
    "-days",
    "2",
    "-extfile",
    p("ext.cnf"),
  ]);
  return { ca: p("ca.crt"), cert: p("server.crt"), key: p("server.key") };
}

function writeConfig(
  dir: string,
  port: number,
  options: MosquittoOptions,
): { conf: string; caFile?: string } {
  const lines = [`listener ${port} 127.0.0.1`, `allow_anonymous ${options.auth ? "false" : "true"}`];
  // Run as whoever runs the tests: as root Mosquitto would otherwise switch to a user who cannot read dir.
  lines.push(
    `user ${userInfo().username}`,
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
  );
  if (options.auth) {
    const passwd = join(dir, "passwd");
    execFileSync("mosquitto_passwd", ["-c", "-b", passwd, options.auth.username, options.auth.password], {
      stdio: "ignore",
    });
    lines.push(`password_file ${passwd}`);
  }
  let caFile: string | undefined;
  if (options.tls) {
    const files = makeTlsFiles(dir);
    lines.push(`cafile ${files.ca}`, `certfile ${files.cert}`, `keyfile ${files.key}`);
    caFile = files.ca;
  }
  lines.push(`persistence ${options.persistence ? "true" : "false"}`, `persistence_location ${dir}/`);
  lines.push(...(options.extraConfig ?? []));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, `${lines.join("\n")}\n`);
  return caFile === undefined ? { conf } : { conf, caFile };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

const LIVE = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A crashed test run must not leave brokers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of LIVE) child.kill("SIGKILL");
  });
}

async function waitUntilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}): ${output().trim()}`);
    }
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`mosquitto did not listen on port ${port} within 10 s: ${output().trim()}`);
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts Mosquitto on a free loopback port; call dispose() in the suite's teardown. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  const binary = findMosquitto();
  if (!binary) throw new Error("mosquitto is not installed");
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "bms-mosquitto-"));
  const port = await freeLoopbackPort();
  const { conf, caFile } = writeConfig(dir, port, options);
  let log = "";
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(binary, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    LIVE.add(proc);
    proc.once("exit", () => LIVE.delete(proc));
    proc.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    child = proc;
    await waitUntilListening(proc, port, () => log);
  };
  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    proc.kill(signal);
    await waitForExit(proc);
  };

  await launch();
  return {
    host: "127.0.0.1",
    port,
    url: `${options.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    caFile,
    get pid() {
      return child?.pid;
    },
    output: () => log,
    stop: () => terminate("SIGTERM"),
    restart: async () => {
      await terminate("SIGTERM");
      await launch();
    },
    kill: () => terminate("SIGKILL"),
    dispose: async () => {
      await terminate("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
