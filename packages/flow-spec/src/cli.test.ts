import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "./cli";
import { exampleFlow } from "./testing/example-flow";

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(args, { out: (line) => out.push(line), err: (line) => err.push(line) }).then((code) => ({
    code,
    out: out.join("\n"),
    err: err.join("\n"),
  }));
}

describe("meterflow CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "meterflow-cli-"));
  const good = join(dir, "good.json");
  const bad = join(dir, "bad.json");
  const broken = join(dir, "broken.json");
  writeFileSync(good, JSON.stringify(exampleFlow()));
  const badFlow = exampleFlow();
  badFlow.edges[0]!.target.node = "nowhere";
  writeFileSync(bad, JSON.stringify(badFlow));
  writeFileSync(broken, "{ not json");

  it("exits 0 and summarises a valid flow", async () => {
    const result = await run(["validate", good]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("valid (4 nodes, 3 edges)");
  });

  it("prints each problem with its path and exits 1", async () => {
    const result = await run(["validate", bad]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('$.edges[0].target.node: Edge ends at node "nowhere", which does not exist');
  });

  it("explains unreadable JSON and exits 2", async () => {
    const result = await run(["validate", broken]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/broken.json: cannot read as JSON/);
  });

  it("prints usage for unknown commands", async () => {
    const result = await run(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("meterflow validate <flow.json>");
  });

  it("prints the content hash of a valid flow", async () => {
    const result = await run(["hash", good]);
    expect(result.out).toMatch(/^sha256:[0-9a-f]{64} {2}/);
  });
});
