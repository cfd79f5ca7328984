import { FLOW_API_VERSION, validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { describe, expect, it } from "vitest";
import {
  applyEdit,
  connectionProblem,
  editorState,
  fragmentFromText,
  fragmentOf,
  fragmentToText,
  redo,
  undo,
  type Edit,
  type EditorState,
} from "./flow-editing";

const empty = (): FlowDocument =>
  ({
    apiVersion: FLOW_API_VERSION,
    kind: "Flow",
    metadata: { name: "Empty", description: "", owner: "billing-team", tags: [] },
    references: { eventSchemas: [], canonicalTypes: [], endpoints: [] },
    nodes: [],
    edges: [],
  }) as unknown as FlowDocument;
const apply = (state: EditorState, ...edits: Edit[]) => edits.reduce(applyEdit, state);

describe("editing a flow", () => {
  it("builds source -> validate -> exception from an empty document, snapped to the grid, into a valid flow", () => {
    const state = apply(
      editorState(empty()),
      { kind: "addNode", nodeType: "source.events", position: { x: 12, y: 47 } },
      { kind: "addNode", nodeType: "validate", position: { x: 300, y: 50 } },
      { kind: "addNode", nodeType: "exception", position: { x: 600, y: 200 } },
      {
        kind: "connect",
        connection: { source: "source-events-1", sourcePort: "out", target: "validate-1", targetPort: "in" },
      },
      {
        kind: "connect",
        connection: { source: "validate-1", sourcePort: "invalid", target: "exception-1", targetPort: "in" },
      },
    );
    expect(state.document.nodes.map((node) => [node.id, node.position])).toEqual([
      ["source-events-1", { x: 10, y: 50 }],
      ["validate-1", { x: 300, y: 50 }],
      ["exception-1", { x: 600, y: 200 }],
    ]);
    expect(
      state.document.edges.map(
        (edge) => `${edge.source.node}.${edge.source.port}->${edge.target.node}.${edge.target.port}`,
      ),
    ).toEqual(["source-events-1.out->validate-1.in", "validate-1.invalid->exception-1.in"]);
    const checked = validateFlow(state.document);
    expect(checked.problems.filter((problem) => problem.severity === "error")).toEqual([]);
    expect(state.past).toHaveLength(5);
  });

  it("refuses connections that cannot work, and says why", () => {
    const state = apply(
      editorState(empty()),
      { kind: "addNode", nodeType: "source.events", position: { x: 0, y: 0 } },
      { kind: "addNode", nodeType: "validate", position: { x: 200, y: 0 } },
      { kind: "addNode", nodeType: "rate", position: { x: 400, y: 0 } },
      {
        kind: "connect",
        connection: { source: "source-events-1", sourcePort: "out", target: "validate-1", targetPort: "in" },
      },
    );
    const document = state.document;
    expect(
      connectionProblem(document, { source: "validate-1", sourcePort: "valid", target: "rate-1", targetPort: "in" }),
    ).toMatch(/"Validate" → valid carries event items; "Rate" → in accepts summary/);
    expect(
      connectionProblem(document, {
        source: "validate-1",
        sourcePort: "valid",
        target: "validate-1",
        targetPort: "in",
      }),
    ).toBe("A node cannot feed itself");
    expect(
      connectionProblem(document, {
        source: "source-events-1",
        sourcePort: "out",
        target: "validate-1",
        targetPort: "in",
      }),
    ).toBe("These ports are already connected");
    expect(
      applyEdit(state, {
        kind: "connect",
        connection: { source: "validate-1", sourcePort: "valid", target: "rate-1", targetPort: "in" },
      }),
    ).toBe(state);
  });

  it("refuses a connection that closes a cycle", () => {
    const state = apply(
      editorState(empty()),
      { kind: "addNode", nodeType: "mask", position: { x: 0, y: 0 } },
      { kind: "addNode", nodeType: "mask", position: { x: 200, y: 0 } },
      { kind: "connect", connection: { source: "mask-1", sourcePort: "out", target: "mask-2", targetPort: "in" } },
    );
    expect(
      connectionProblem(state.document, { source: "mask-2", sourcePort: "out", target: "mask-1", targetPort: "in" }),
    ).toMatch(/would make a cycle: "Mask" already feeds "Mask"/);
  });

  it("removes a node with its edges; undo and redo step through every edit", () => {
    const built = apply(
      editorState(empty()),
      { kind: "addNode", nodeType: "source.events", position: { x: 0, y: 0 } },
      { kind: "addNode", nodeType: "validate", position: { x: 200, y: 0 } },
      {
        kind: "connect",
        connection: { source: "source-events-1", sourcePort: "out", target: "validate-1", targetPort: "in" },
      },
    );
    const removed = applyEdit(built, { kind: "remove", nodeIds: ["validate-1"], edgeIds: [] });
    expect(removed.document.nodes.map((node) => node.id)).toEqual(["source-events-1"]);
    expect(removed.document.edges).toEqual([]);
    const back = undo(removed);
    expect(back.document).toEqual(built.document);
    expect(redo(back).document).toEqual(removed.document);
    expect(undo(undo(undo(undo(removed)))).document.nodes).toEqual([]);
    // A new edit after undo drops the redo branch.
    const branched = applyEdit(undo(removed), { kind: "move", positions: { "validate-1": { x: 500, y: 500 } } });
    expect(branched.future).toEqual([]);
    expect(redo(branched)).toBe(branched);
  });

  it("renames and reconfigures a node; a Route losing an output loses that output's edges", () => {
    const state = apply(
      editorState(empty()),
      { kind: "addNode", nodeType: "route", position: { x: 0, y: 0 } },
      { kind: "addNode", nodeType: "exception", position: { x: 300, y: 0 } },
    );
    const route = state.document.nodes[0]!;
    const config = {
      cases: [{ output: "big", condition: "data.calls > 1000" }],
      defaultOutput: "default",
      firstMatchOnly: true,
    };
    const configured = apply(
      state,
      { kind: "updateNode", nodeId: route.id, name: "By size", config },
      { kind: "connect", connection: { source: route.id, sourcePort: "big", target: "exception-1", targetPort: "in" } },
    );
    expect(configured.document.nodes[0]).toMatchObject({ name: "By size", config });
    expect(configured.document.edges).toHaveLength(1);
    const renamed = applyEdit(configured, {
      kind: "updateNode",
      nodeId: route.id,
      config: { ...config, cases: [{ output: "huge", condition: "data.calls > 1000" }] },
    });
    expect(renamed.document.edges).toEqual([]);
    expect(applyEdit(renamed, { kind: "updateNode", nodeId: route.id, name: "By size" })).toBe(renamed);
  });

  it("declares the references nodes use and drops the ones they stopped using, keeping hand-declared ones", () => {
    const start = editorState({
      ...empty(),
      references: { eventSchemas: ["manual.schema@1"], canonicalTypes: [], endpoints: [] },
    } as FlowDocument);
    const added = apply(
      start,
      { kind: "addNode", nodeType: "validate", position: { x: 0, y: 0 } },
      { kind: "addNode", nodeType: "validate", position: { x: 0, y: 200 } },
    );
    expect(added.document.references.eventSchemas).toEqual(["manual.schema@1", "usage.api_call@1"]);
    const one = applyEdit(added, { kind: "updateNode", nodeId: "validate-1", config: { schema: "usage.storage@1" } });
    expect(one.document.references.eventSchemas).toEqual(["manual.schema@1", "usage.api_call@1", "usage.storage@1"]);
    const both = applyEdit(one, { kind: "updateNode", nodeId: "validate-2", config: { schema: "usage.storage@1" } });
    expect(both.document.references.eventSchemas).toEqual(["manual.schema@1", "usage.storage@1"]);
    expect(
      applyEdit(both, { kind: "remove", nodeIds: ["validate-1", "validate-2"], edgeIds: [] }).document.references
        .eventSchemas,
    ).toEqual(["manual.schema@1"]);
  });

  it("copies nodes with the edges between them as text and pastes them with fresh ids, offset, in one step", () => {
    const built = apply(
      editorState(empty()),
      { kind: "addNode", nodeType: "source.events", position: { x: 0, y: 0 } },
      { kind: "addNode", nodeType: "validate", position: { x: 200, y: 0 } },
      { kind: "addNode", nodeType: "exception", position: { x: 400, y: 0 } },
      {
        kind: "connect",
        connection: { source: "source-events-1", sourcePort: "out", target: "validate-1", targetPort: "in" },
      },
      {
        kind: "connect",
        connection: { source: "validate-1", sourcePort: "invalid", target: "exception-1", targetPort: "in" },
      },
    );
    const text = fragmentToText(fragmentOf(built.document, ["source-events-1", "validate-1"]));
    const fragment = fragmentFromText(text)!;
    expect(fragment.edges).toHaveLength(1);
    const pasted = applyEdit(built, { kind: "insert", fragment, offset: { x: 40, y: 40 } });
    expect(pasted.document.nodes.map((node) => `${node.id}@${node.position.x},${node.position.y}`)).toEqual([
      "source-events-1@0,0",
      "validate-1@200,0",
      "exception-1@400,0",
      "source-events-2@40,40",
      "validate-2@240,40",
    ]);
    expect(pasted.document.edges.at(-1)).toMatchObject({
      source: { node: "source-events-2", port: "out" },
      target: { node: "validate-2", port: "in" },
    });
    expect(validateFlow(pasted.document).problems.filter((problem) => problem.severity === "error")).toEqual([]);
    expect(undo(pasted).document).toBe(built.document);
    expect(fragmentFromText("hello")).toBeUndefined();
    expect(fragmentFromText(JSON.stringify({ kind: "other", nodes: [], edges: [] }))).toBeUndefined();
  });
});
