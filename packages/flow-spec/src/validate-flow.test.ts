import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exampleFlow } from "./testing/example-flow";
import { validateFlow } from "./validate-flow";
import type { FlowDocumentInput } from "./flow-document";
import type { ProblemCode } from "./problems";

type Mutation = (doc: FlowDocumentInput & Record<string, unknown>) => void;

const node = (doc: FlowDocumentInput, id: string) =>
  doc.nodes.find((n) => n.id === id)! as unknown as Record<string, unknown>;

const cases: { name: string; mutate: Mutation; code: ProblemCode; path: string; message: RegExp }[] = [
  {
    name: "wrong apiVersion",
    mutate: (d) => void ((d as Record<string, unknown>).apiVersion = "v0"),
    code: "unsupported_api_version",
    path: "$.apiVersion",
    message: /"v0" is not supported/,
  },
  {
    name: "missing metadata name",
    mutate: (d) => void ((d.metadata as Record<string, unknown>).name = ""),
    code: "invalid_field",
    path: "$.metadata.name",
    message: /needs a name/,
  },
  {
    name: "unknown node type",
    mutate: (d) => void (node(d, "map").type = "teleport"),
    code: "unknown_node_type",
    path: "$.nodes[2].type",
    message: /Unknown node type "teleport"/,
  },
  {
    name: "missing config",
    mutate: (d) => void delete node(d, "validate").config,
    code: "missing_config",
    path: "$.nodes[1].config",
    message: /Validate node needs a config/,
  },
  {
    name: "missing required config field",
    mutate: (d) => void ((node(d, "validate").config as Record<string, unknown>).schema = undefined),
    code: "missing_config",
    path: "$.nodes[1].config.schema",
    message: /required "schema" is missing/,
  },
  {
    name: "invalid config value",
    mutate: (d) => void ((node(d, "map").config as Record<string, unknown>).fields = []),
    code: "invalid_config",
    path: "$.nodes[2].config.fields",
    message: /Map at least one target field/,
  },
  {
    name: "empty expression",
    mutate: (d) => void ((node(d, "map").config as { fields: { expression: string }[] }).fields[0]!.expression = "  "),
    code: "invalid_config",
    path: "$.nodes[2].config.fields[0].expression",
    message: /Expression is empty/,
  },
  {
    name: "duplicate node id",
    mutate: (d) => void d.nodes.push({ ...structuredClone(d.nodes[1]!) }),
    code: "duplicate_node_id",
    path: "$.nodes[4].id",
    message: /"validate" is used more than once/,
  },
  {
    name: "duplicate edge id",
    mutate: (d) => void (d.edges[1]!.id = "e1"),
    code: "duplicate_edge_id",
    path: "$.edges[1].id",
    message: /"e1" is used more than once/,
  },
  {
    name: "dangling edge source",
    mutate: (d) => void (d.edges[0]!.source.node = "ghost"),
    code: "dangling_edge",
    path: "$.edges[0].source.node",
    message: /"ghost", which does not exist/,
  },
  {
    name: "dangling edge target",
    mutate: (d) => void (d.edges[0]!.target.node = "ghost"),
    code: "dangling_edge",
    path: "$.edges[0].target.node",
    message: /"ghost", which does not exist/,
  },
  {
    name: "unknown output port",
    mutate: (d) => void (d.edges[1]!.source.port = "maybe"),
    code: "unknown_port",
    path: "$.edges[1].source.port",
    message: /no output port "maybe"; its outputs are: valid, invalid/,
  },
  {
    name: "unknown input port",
    mutate: (d) => void (d.edges[1]!.target.port = "side"),
    code: "unknown_port",
    path: "$.edges[1].target.port",
    message: /no input port "side"; its inputs are: in/,
  },
  {
    name: "edge into a source",
    mutate: (d) =>
      void d.edges.push({
        id: "back",
        source: { node: "validate", port: "valid" },
        target: { node: "events", port: "in" },
      }),
    code: "unknown_port",
    path: "$.edges[3].target.port",
    message: /is a source and takes no inputs/,
  },
  {
    name: "incompatible ports",
    mutate: (d) => void (d.edges[1]!.source.port = "invalid"),
    code: "incompatible_ports",
    path: "$.edges[1]",
    message: /carries exception items, but input "map.in" accepts only/,
  },
  {
    name: "same connection twice",
    mutate: (d) => void d.edges.push({ ...structuredClone(d.edges[1]!), id: "e2-again" }),
    code: "duplicate_edge",
    path: "$.edges[3]",
    message: /already connected/,
  },
  {
    name: "cycle",
    mutate: (d) => {
      d.nodes.push({
        id: "dedupe",
        type: "dedupe",
        position: { x: 0, y: 0 },
        config: { key: "id", window: { amount: 1, unit: "day" } },
      });
      d.edges.push({ id: "c1", source: { node: "validate", port: "valid" }, target: { node: "dedupe", port: "in" } });
      d.edges.push({ id: "c2", source: { node: "dedupe", port: "unique" }, target: { node: "validate", port: "in" } });
    },
    code: "cycle",
    path: "$.nodes[1]",
    message: /cannot loop: validate -> dedupe -> validate/,
  },
  {
    name: "undeclared canonical type",
    mutate: (d) => void (d.references!.canonicalTypes = []),
    code: "undeclared_reference",
    path: "$.nodes[2].config.target",
    message: /"UsageRecord@1" is not declared in references.canonicalTypes/,
  },
  {
    name: "bad versioned ref",
    mutate: (d) => void ((node(d, "validate").config as Record<string, unknown>).schema = "usage"),
    code: "invalid_config",
    path: "$.nodes[1].config.schema",
    message: /name@version/,
  },
];

describe("validateFlow", () => {
  it("accepts the example flow and the metered-api-billing template without problems", () => {
    expect(validateFlow(exampleFlow())).toMatchObject({ ok: true, problems: [] });
    const template = JSON.parse(
      readFileSync(new URL("../../../templates/metered-api-billing.json", import.meta.url), "utf8"),
    );
    expect(validateFlow(template)).toMatchObject({ ok: true, problems: [] });
  });

  it.each(cases)("reports $name at its path", ({ mutate, code, path, message }) => {
    const doc = exampleFlow() as FlowDocumentInput & Record<string, unknown>;
    mutate(doc);
    const result = validateFlow(doc);
    expect(result.ok).toBe(false);
    const problem = result.problems.find((p) => p.code === code);
    expect(problem, JSON.stringify(result.problems, null, 2)).toBeDefined();
    expect(problem!.path).toBe(path);
    expect(problem!.message).toMatch(message);
    expect(problem!.severity).toBe("error");
  });

  it("lists every problem at once, not just the first", () => {
    const doc = exampleFlow();
    node(doc, "map").type = "teleport";
    doc.edges[0]!.target.node = "ghost";
    (node(doc, "validate").config as Record<string, unknown>).schema = 42;
    const codes = validateFlow(doc).problems.map((p) => p.code);
    expect(codes).toEqual(expect.arrayContaining(["unknown_node_type", "dangling_edge", "invalid_config"]));
  });

  it("warns about nodes that never run and flows without a source, without refusing them", () => {
    const doc = exampleFlow();
    doc.edges = doc.edges.filter((edge) => edge.id !== "e2");
    const result = validateFlow(doc);
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([
      expect.objectContaining({ code: "unconnected_input", severity: "warning", nodeId: "map" }),
    ]);

    const noSource = exampleFlow();
    noSource.nodes = noSource.nodes.filter((n) => n.id !== "events");
    noSource.edges = noSource.edges.filter((edge) => edge.id !== "e1");
    expect(validateFlow(noSource).problems.map((p) => p.code)).toContain("no_source");
  });

  it("checks references against a resolver when one is given", () => {
    const result = validateFlow(exampleFlow(), {
      referenceExists: (kind, ref) => !(kind === "eventSchema" && ref === "usage.api_call@1"),
    });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ code: "unknown_reference", path: "$.references.eventSchemas[0]" }),
    ]);
  });

  it("reports expressions the given checker refuses, at each field's path", () => {
    const doc = exampleFlow();
    (node(doc, "map").config as { fields: { expression: string }[] }).fields[0]!.expression = "BROKEN";
    const result = validateFlow(doc, {
      checkExpression: (source) => (source === "BROKEN" ? "unexpected token" : undefined),
    });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: "invalid_expression",
        path: "$.nodes[2].config.fields[0].expression",
        nodeId: "map",
        message: 'Expression "BROKEN" does not parse: unexpected token',
      }),
    ]);
    expect(validateFlow(doc).ok).toBe(true);
  });

  it("derives a route node's outputs from its cases", () => {
    const doc = exampleFlow();
    doc.nodes.push({
      id: "route",
      type: "route",
      position: { x: 0, y: 0 },
      config: { cases: [{ output: "eu", condition: 'data.region = "eu"' }] },
    });
    doc.edges.push({ id: "r1", source: { node: "validate", port: "valid" }, target: { node: "route", port: "in" } });
    doc.edges.push({ id: "r2", source: { node: "route", port: "eu" }, target: { node: "map", port: "in" } });
    doc.edges.push({ id: "r3", source: { node: "route", port: "us" }, target: { node: "map", port: "in" } });
    const problems = validateFlow(doc).problems;
    expect(problems).toEqual([
      expect.objectContaining({
        code: "unknown_port",
        path: "$.edges[5].source.port",
        message: expect.stringContaining("its outputs are: eu, default"),
      }),
    ]);
  });

  it("applies config defaults in the returned document", () => {
    const result = validateFlow(exampleFlow());
    if (!result.ok) throw new Error("expected a valid flow");
    const source = result.document.nodes.find((n) => n.type === "source.events");
    expect(source?.type === "source.events" && source.config.transport).toBe("http");
  });

  it("rejects non-object documents with a clear message", () => {
    for (const input of [null, 3, "flow", [], undefined]) {
      expect(validateFlow(input).problems).toEqual([expect.objectContaining({ path: "$", code: "invalid_document" })]);
    }
  });
});
