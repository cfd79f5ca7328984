import type { FlowDocumentInput } from "../flow-document";

/** A small valid flow (source -> validate -> map, invalid -> exception) that tests reshape as they need. */
export function exampleFlow(): FlowDocumentInput {
  return {
    apiVersion: "meterflow.dev/flow/v1",
    metadata: { name: "Example flow", description: "", owner: "tests", tags: [] },
    references: { eventSchemas: ["usage.api_call@1"], canonicalTypes: ["UsageRecord@1"], endpoints: [] },
    nodes: [
      { id: "events", type: "source.events", position: { x: 0, y: 0 }, config: { eventTypes: ["com.example.call"] } },
      { id: "validate", type: "validate", position: { x: 200, y: 0 }, config: { schema: "usage.api_call@1" } },
      {
        id: "map",
        type: "map",
        position: { x: 400, y: 0 },
        config: { target: "UsageRecord@1", fields: [{ target: "tenantId", expression: "data.tenantId" }] },
      },
      {
        id: "errors",
        type: "exception",
        position: { x: 400, y: 150 },
        config: { kind: "invalid_event", reason: "reason" },
      },
    ],
    edges: [
      { id: "e1", source: { node: "events", port: "out" }, target: { node: "validate", port: "in" } },
      { id: "e2", source: { node: "validate", port: "valid" }, target: { node: "map", port: "in" } },
      { id: "e3", source: { node: "validate", port: "invalid" }, target: { node: "errors", port: "in" } },
    ],
  };
}
