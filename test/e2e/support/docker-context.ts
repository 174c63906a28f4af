/**
 * Reading the Dockerfile and .dockerignore without a container engine (none on the CI machine): the
 * stages and their instructions, and the files the build stage's COPY lines take from the context. The
 * packed-install e2e builds the package from exactly those files, so the image's build stage is proven
 * sufficient on every run; the Dockerfile test checks the structure.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../../support/repo-root.js";

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions (continuation lines joined, comments dropped) grouped by FROM. */
export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const joined = text.replace(/\\\r?\n/g, " ");
  const lines = joined.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of lines) {
    const match = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const op = (match[1] as string).toUpperCase();
    const rest = (match[2] as string).trim().replace(/\s+/g, " ");
    if (op === "FROM") {
      const [from = "", , name] = rest.split(" ");
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0) args.push({ op, args: rest });
    else stages.at(-1)?.instructions.push({ op, args: rest });
  }
  return { args, stages };
}

/** Docker's .dockerignore rules: paths from the context root, `*` within one level, `**` any, last match wins. */
export function dockerIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      const source = pattern
        .split("**")
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, "[^/]"),
        )
        .join(".*");
      return { negated, regex: new RegExp(`^${source}(/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negated;
    return ignored;
  };
}

/** The context paths the build stage COPYs (not `COPY --from`). */
export function buildStageSources(dockerfile: string): string[] {
  const { stages } = parseDockerfile(dockerfile);
  const build = stages.find((stage) => stage.name === "build");
  if (!build) throw new Error("the Dockerfile has no stage named build");
  return build.instructions
    .filter((instruction) => instruction.op === "COPY" && !instruction.args.startsWith("--from"))
    .flatMap((instruction) => instruction.args.split(" ").slice(0, -1));
}

function walk(path: string): string[] {
  const full = join(REPO_ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full).flatMap((entry) => walk(join(path, entry)));
}

/** Copies what the build stage would receive from the context into `target`; returns the copied paths. */
export function copyBuildContext(target: string): string[] {
  const ignored = dockerIgnore(readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8"));
  const sources = buildStageSources(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
  const copied: string[] = [];
  for (const source of sources) {
    if (!existsSync(join(REPO_ROOT, source)))
      throw new Error(`Dockerfile copies ${source}, which does not exist`);
    for (const path of walk(source).filter((p) => !ignored(p))) {
      mkdirSync(dirname(join(target, path)), { recursive: true });
      cpSync(join(REPO_ROOT, path), join(target, path));
      copied.push(path);
    }
  }
  return copied;
}
