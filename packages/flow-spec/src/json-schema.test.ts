import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { flowJsonSchema } from "./json-schema";
import { exampleFlow } from "./testing/example-flow";

describe("flowJsonSchema", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(flowJsonSchema());

  it("accepts the example flow and the template", () => {
    const template = JSON.parse(
      readFileSync(new URL("../../../templates/metered-api-billing.json", import.meta.url), "utf8"),
    );
    expect(validate(exampleFlow()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(template), JSON.stringify(validate.errors)).toBe(true);
  });

  it("rejects a node with an unknown type and a config of the wrong shape", () => {
    const doc = exampleFlow() as unknown as { nodes: Record<string, unknown>[] };
    doc.nodes[1]!.type = "teleport";
    expect(validate(doc)).toBe(false);
    const other = exampleFlow() as unknown as { nodes: { config: Record<string, unknown> }[] };
    other.nodes[2]!.config.fields = "tenantId";
    expect(validate(other)).toBe(false);
  });

  it("matches the committed schema file that external tools use", () => {
    const committed = JSON.parse(readFileSync(new URL("../schema/flow-v1.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(flowJsonSchema());
  });
});
