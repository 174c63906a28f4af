/**
 * What a user gets: the project packed with `npm pack` (prepack builds it), then installed GLOBALLY into
 * an empty prefix with the install command the README documents. The pack runs in a copy holding only the
 * files the Dockerfile's build stage copies (after .dockerignore), so the image's build inputs are proven
 * sufficient too; the copy keeps the checkout's own dist/ untouched while other test files run, and
 * node_modules is linked where the image runs `npm ci`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../support/repo-root.js";
import { copyBuildContext } from "./docker-context.js";

const run = promisify(execFile);

export interface PackedFile {
  path: string;
  size: number;
}

export interface PackedInstall {
  work: string;
  tarball: string;
  files: PackedFile[];
  /** Compressed size of the tarball, bytes. */
  size: number;
  prefix: string;
  bin(name: string): string;
  /** The installed package folder (prefix/lib/node_modules/bms-bridge). */
  packageDir: string;
  installOutput: string;
  remove(): void;
}

/** The `--allow-scripts=` list of the README's install command: the test installs with exactly it. */
export function documentedAllowScripts(): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const list = /npm install -g \S+ --allow-scripts=(\S+)/.exec(readme)?.[1];
  if (!list) throw new Error("README.md has no `npm install -g … --allow-scripts=…` command");
  return list;
}

export async function packAndInstallGlobally(): Promise<PackedInstall> {
  const work = mkdtempSync(join(tmpdir(), "bms-pack-"));
  const stage = join(work, "context");
  copyBuildContext(stage);
  symlinkSync(join(REPO_ROOT, "node_modules"), join(stage, "node_modules"), "dir");
  const env = { ...process.env, npm_config_update_notifier: "false" };
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work], {
    cwd: stage,
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [result] = JSON.parse(packed.stdout) as Array<{
    filename: string;
    size: number;
    files: PackedFile[];
  }>;
  if (!result) throw new Error(`npm pack printed no result:\n${packed.stdout}`);
  const tarball = join(work, result.filename);
  const prefix = join(work, "prefix");
  const installed = await run(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      tarball,
      `--allow-scripts=${documentedAllowScripts()}`,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
    ],
    { cwd: work, env, maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    work,
    tarball,
    files: result.files,
    size: result.size,
    prefix,
    bin: (name) => join(prefix, "bin", name),
    packageDir: join(prefix, "lib/node_modules/bms-bridge"),
    installOutput: `${installed.stdout}${installed.stderr}`,
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}
