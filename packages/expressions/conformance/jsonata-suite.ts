// Runs JSONata's own test suite through compile(...).evaluate(...) and prints JSON: cases,
// passed, failures by group and the list of failures. Exits non-zero below the target.
// Run: npm run conformance -w @meterflow/expressions   (JSONATA_SUITE=<dir> to point elsewhere)
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { compile, type CompileOptions } from "../src/index";

interface SuiteCase {
  expr?: string;
  "expr-file"?: string;
  data?: unknown;
  dataset?: string | null;
  bindings?: Record<string, unknown>;
  timelimit?: number;
  depth?: number;
  result?: unknown;
  undefinedResult?: boolean;
  code?: string;
  error?: { code?: string };
  unordered?: boolean;
}

interface LoadedCase {
  id: string;
  group: string;
  expr: string;
  spec: SuiteCase;
}

interface Outcome {
  id: string;
  group: string;
  expr: string;
  passed: boolean;
  expected?: unknown;
  actual?: unknown;
}

const TARGET = 0.99;
/** A runner silent this long is stuck on a case (no case's own time limit comes near it). */
const STALL_MS = 60_000;

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const suiteDirectory = path.resolve(repositoryRoot, process.env.JSONATA_SUITE ?? "../shared/jsonata-suite");

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

function loadCases(): LoadedCase[] {
  const groupsDirectory = path.join(suiteDirectory, "groups");
  const cases: LoadedCase[] = [];
  for (const group of readdirSync(groupsDirectory).sort()) {
    const groupDirectory = path.join(groupsDirectory, group);
    for (const file of readdirSync(groupDirectory)
      .filter((name) => name.endsWith(".json"))
      .sort()) {
      const content = readJson(path.join(groupDirectory, file)) as SuiteCase | SuiteCase[];
      const specs = Array.isArray(content) ? content : [content];
      specs.forEach((spec, index) => {
        const expr = spec["expr-file"]
          ? readFileSync(path.join(groupDirectory, spec["expr-file"]), "utf8")
          : (spec.expr ?? "");
        const id = `${group}/${file}${Array.isArray(content) ? `#${index}` : ""}`;
        cases.push({ id, group, expr, spec });
      });
    }
  }
  return cases;
}

const datasets = new Map<string, unknown>();
function inputOf(spec: SuiteCase): unknown {
  if ("data" in spec) return spec.data;
  if (spec.dataset === null || spec.dataset === undefined) return undefined;
  if (!datasets.has(spec.dataset))
    datasets.set(spec.dataset, readJson(path.join(suiteDirectory, "datasets", `${spec.dataset}.json`)));
  return datasets.get(spec.dataset);
}

/** Deep equality of JSON values; sequences compare as arrays. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  const aKeys = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const bKeys = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return (
    aKeys.length === bKeys.length &&
    aKeys.every((key) => equal((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
}

function equalUnordered(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return equal(a, b);
  const remaining = [...b];
  return a.every((item) => {
    const at = remaining.findIndex((candidate) => equal(item, candidate));
    if (at === -1) return false;
    remaining.splice(at, 1);
    return true;
  });
}

/** A result as the report shows it: JSON, with undefined spelled out. */
function printable(value: unknown): unknown {
  if (value === undefined) return "(undefined)";
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

function runCase({ id, group, expr, spec }: LoadedCase): Outcome {
  const expectedCode = spec.code ?? spec.error?.code;
  const options: CompileOptions = {};
  if (spec.timelimit !== undefined) options.timeoutMs = spec.timelimit;
  if (spec.depth !== undefined) options.maxDepth = spec.depth;
  let actual: { value?: unknown; code?: string };
  try {
    const expression = compile(expr, options);
    actual = { value: expression.evaluate(inputOf(spec), spec.bindings) };
  } catch (error) {
    let code = (error as { code?: string }).code ?? String(error);
    // The suite's harness reports its time limit as U1001, as it does its depth limit.
    if (code === "U1002" && spec.timelimit !== undefined) code = "U1001";
    actual = { code };
  }
  if (expectedCode !== undefined) {
    return {
      id,
      group,
      expr,
      passed: actual.code === expectedCode,
      expected: { code: expectedCode },
      actual: actual.code ? { code: actual.code } : printable(actual.value),
    };
  }
  const expected = spec.undefinedResult ? undefined : spec.result;
  const passed =
    actual.code === undefined &&
    (spec.unordered ? equalUnordered(actual.value, expected) : equal(actual.value, expected));
  return {
    id,
    group,
    expr,
    passed,
    expected: printable(expected),
    actual: actual.code ? { code: actual.code } : printable(actual.value),
  };
}

type RunnerMessage = { type: "start"; index: number } | { type: "done"; outcome: Outcome };

const RUNNER_FLAG = "--run-from";

if (process.argv.includes(RUNNER_FLAG)) {
  // The child process: runs the cases from the given one, one JSON line per event.
  const from = Number(process.argv[process.argv.indexOf(RUNNER_FLAG) + 1]);
  const cases = loadCases();
  const send = (message: RunnerMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
  for (let index = from; index < cases.length; index += 1) {
    send({ type: "start", index });
    send({ type: "done", outcome: runCase(cases[index]!) });
  }
} else {
  await main();
}

/** Runs the cases in a child process, so a case that never returns is a failure, not a hang. */
async function main(): Promise<void> {
  if (!existsSync(path.join(suiteDirectory, "groups"))) {
    console.error(`No JSONata test suite at ${suiteDirectory} (set JSONATA_SUITE)`);
    process.exit(2);
  }
  const cases = loadCases();
  const outcomes: Outcome[] = [];
  let next = 0;
  while (next < cases.length) next = await runFrom(next, cases, outcomes);
  const failures = outcomes.filter((outcome) => !outcome.passed);
  const failedByGroup: Record<string, number> = {};
  for (const failure of failures) failedByGroup[failure.group] = (failedByGroup[failure.group] ?? 0) + 1;
  const passed = outcomes.length - failures.length;
  const passRate = passed / outcomes.length;
  console.log(
    JSON.stringify(
      {
        suite: suiteDirectory,
        cases: outcomes.length,
        passed,
        failed: failures.length,
        passRate: Number(passRate.toFixed(4)),
        target: TARGET,
        failedByGroup,
        failures: failures.map(({ id, expr, expected, actual }) => ({ id, expr, expected, actual })),
      },
      null,
      2,
    ),
  );
  if (passRate < TARGET) process.exit(1);
}

/** Runs cases from `from` in a child; resolves with the case to resume at. */
function runFrom(from: number, cases: LoadedCase[], outcomes: Outcome[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), RUNNER_FLAG, String(from)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let current = from;
    let lastProgress = Date.now();
    let settled = false;
    const settle = (resumeAt: number, failure?: string) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      if (failure !== undefined && current < cases.length) {
        const failed = cases[current]!;
        outcomes.push({ id: failed.id, group: failed.group, expr: failed.expr, passed: false, actual: failure });
      }
      child.kill("SIGKILL");
      resolve(resumeAt);
    };
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress >= STALL_MS) settle(current + 1, "(never returned)");
    }, 1000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      lastProgress = Date.now();
      const message = JSON.parse(line) as RunnerMessage;
      if (message.type === "start") current = message.index;
      else {
        outcomes.push(message.outcome);
        current = outcomes.length === 0 ? current : current + 1;
      }
    });
    child.on("exit", (code, signal) => {
      if (current >= cases.length) settle(cases.length);
      else settle(current + 1, `(the runner died: ${signal ?? `exit ${code}`})`);
    });
  });
}
