import { readFile } from "node:fs/promises";
import { contentHash } from "./canonical-json";
import { flowJsonSchema } from "./json-schema";
import { formatProblem } from "./problems";
import { validateFlow } from "./validate-flow";

const usage = `Usage:
  meterflow validate <flow.json>...   check flow documents; exits 1 when any has an error
  meterflow hash <flow.json>          print the content hash of a valid flow document
  meterflow schema                    print the flow document's JSON Schema`;

type Output = { out: (line: string) => void; err: (line: string) => void };
const consoleOutput: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

/** Runs the CLI and returns its exit code (0 ok, 1 problems found, 2 usage or I/O error). */
export async function main(args: string[], io: Output = consoleOutput): Promise<number> {
  const [command, ...files] = args;
  if (command === "schema") {
    io.out(JSON.stringify(flowJsonSchema(), null, 2));
    return 0;
  }
  if ((command !== "validate" && command !== "hash") || files.length === 0) {
    io.err(usage);
    return 2;
  }
  let exitCode = 0;
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      io.err(`${file}: cannot read as JSON: ${(error as Error).message}`);
      exitCode = 2;
      continue;
    }
    const result = validateFlow(json);
    if (command === "hash") {
      if (result.ok) io.out(`${contentHash(result.document)}  ${file}`);
      else io.err(`${file}: not a valid flow document; run "meterflow validate ${file}"`);
      exitCode = Math.max(exitCode, result.ok ? 0 : 1);
      continue;
    }
    for (const problem of result.problems) io.out(`${file}: ${formatProblem(problem)}`);
    const errors = result.problems.filter((problem) => problem.severity === "error").length;
    const warnings = result.problems.length - errors;
    if (result.ok) {
      io.out(
        `${file}: valid (${result.document.nodes.length} nodes, ${result.document.edges.length} edges${warnings ? `, ${warnings} warning(s)` : ""})`,
      );
    } else {
      io.out(`${file}: ${errors} error(s), ${warnings} warning(s)`);
      exitCode = Math.max(exitCode, 1);
    }
  }
  return exitCode;
}
