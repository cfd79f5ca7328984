import type { FlowDocumentInput } from "@meterflow/flow-spec";
import { describe, expect, it } from "vitest";
import { compileFlow } from "../compile-flow";
import { memoryContext } from "../memory-context";
import { apiCall } from "../testing-fixtures";

/** A flow: events -> validate -> (the nodes under test), built by each test. */
function flowWith(
  nodes: FlowDocumentInput["nodes"],
  edges: [string, string, string, string][],
  endpoints: string[] = [],
): FlowDocumentInput {
  return {
    apiVersion: "meterflow.dev/flow/v1",
    metadata: { name: "node test", owner: "tests" },
    references: { eventSchemas: ["usage.api_call@1"], canonicalTypes: ["UsageRecord@1"], endpoints },
    nodes: [
      {
        id: "events",
        type: "source.events",
        position: { x: 0, y: 0 },
        config: { eventTypes: ["com.meterflow.api.call"] },
      },
      { id: "validate", type: "validate", position: { x: 0, y: 0 }, config: { schema: "usage.api_call@1" } },
      ...nodes,
    ],
    edges: [
      { id: "e0", source: { node: "events", port: "out" }, target: { node: "validate", port: "in" } },
      ...edges.map(([source, sourcePort, target, targetPort], i) => ({
        id: `e${i + 1}`,
        source: { node: source, port: sourcePort },
        target: { node: target, port: targetPort },
      })),
    ],
  };
}

const at = (hour: number) => new Date(Date.UTC(2026, 10, 2, hour)).toISOString();

describe("Route", () => {
  const plan = compileFlow(
    flowWith(
      [
        {
          id: "route",
          type: "route",
          position: { x: 0, y: 0 },
          config: {
            cases: [
              { output: "big", condition: "data.calls > 100" },
              { output: "eu", condition: 'data.region = "eu"' },
            ],
          },
        },
        {
          id: "bigs",
          type: "map",
          position: { x: 0, y: 0 },
          config: { target: "UsageRecord@1", fields: [{ target: "size", expression: '"big"' }] },
        },
        {
          id: "eus",
          type: "map",
          position: { x: 0, y: 0 },
          config: { target: "UsageRecord@1", fields: [{ target: "size", expression: '"eu"' }] },
        },
      ],
      [
        ["validate", "valid", "route", "in"],
        ["route", "big", "bigs", "in"],
        ["route", "eu", "eus", "in"],
      ],
    ),
  );

  it("sends each item to its first matching output and unmatched ones to the default, which is an exception when unconnected", () => {
    const effects = plan.run(
      [
        apiCall("a", "t", 500, at(1)),
        apiCall("b", "t", 5, at(1)),
        { ...apiCall("c", "t", 5, at(1)), data: { tenantId: "t", productCode: "p", calls: 5, region: "us" } },
      ],
      memoryContext(),
    );
    expect(effects.records.map((record) => [record.nodeId, record.events[0]])).toEqual([
      ["bigs", "/gateway#a"],
      ["eus", "/gateway#b"],
    ]);
    expect(effects.exceptions).toEqual([
      expect.objectContaining({
        kind: "routing",
        nodeId: "route",
        reason: 'Route "route" sent it to output "default", which is not connected',
      }),
    ]);
    expect(effects.outcomes.map((entry) => entry.outcome)).toEqual(["validated", "validated", "exception"]);
  });
});

describe("Mask", () => {
  it("hashes, redacts and drops fields, leaving the rest", () => {
    const plan = compileFlow(
      flowWith(
        [
          {
            id: "mask",
            type: "mask",
            position: { x: 0, y: 0 },
            config: {
              fields: [
                { path: "data.tenantId", action: "hash" },
                { path: "data.region", action: "redact" },
                { path: "data.productCode", action: "drop" },
              ],
            },
          },
          {
            id: "map",
            type: "map",
            position: { x: 0, y: 0 },
            config: { target: "UsageRecord@1", fields: [{ target: "data", expression: "data" }] },
          },
        ],
        [
          ["validate", "valid", "mask", "in"],
          ["mask", "out", "map", "in"],
        ],
      ),
    );
    const [record] = plan.run([apiCall("a", "acme", 5, at(1))], memoryContext()).records;
    expect((record!.payload as { data: unknown }).data).toEqual({
      tenantId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      region: "***",
      calls: 5,
    });
  });
});

describe("Map", () => {
  const mapWith = (fields: { target: string; expression: string }[]) =>
    compileFlow(
      flowWith(
        [{ id: "map", type: "map", position: { x: 0, y: 0 }, config: { target: "UsageRecord@1", fields } }],
        [["validate", "valid", "map", "in"]],
      ),
    );

  it("builds flat and nested targets with audit metadata, leaving out fields whose mapping yields nothing", () => {
    const event = apiCall("a", "t-1", 3, at(1));
    const flat = mapWith([
      { target: "tenantId", expression: "data.tenantId" },
      { target: "missing", expression: "data.nothing" },
      { target: "quantity", expression: "$string(data.calls)" },
    ]).run([event], memoryContext()).records[0]!.payload as Record<string, unknown>;
    expect(Object.keys(flat)).toEqual(["tenantId", "quantity", "audit"]);
    expect(flat).toMatchObject({
      tenantId: "t-1",
      quantity: "3",
      audit: { nodeId: "map", eventTime: at(1), mappingRef: "UsageRecord@1" },
    });

    const complete = mapWith([
      { target: "tenantId", expression: "data.tenantId" },
      { target: "quantity", expression: "$string(data.calls)" },
    ]).run([event], memoryContext()).records[0]!.payload;
    expect(Object.keys(complete as object)).toEqual(["tenantId", "quantity", "audit"]);

    const nested = mapWith([
      { target: "usage.quantity", expression: "data.calls" },
      { target: "usage.unit", expression: '"call"' },
      { target: "tenantId", expression: "data.tenantId" },
    ]).run([event], memoryContext()).records[0]!.payload;
    expect(nested).toMatchObject({ usage: { quantity: 3, unit: "call" }, tenantId: "t-1" });
  });
});

describe("Aggregate measures", () => {
  const plan = compileFlow(
    flowWith(
      [
        {
          id: "agg",
          type: "aggregate",
          position: { x: 0, y: 0 },
          config: {
            groupBy: [{ name: "tenant", expression: "data.tenantId" }],
            eventTime: "time",
            period: "day",
            grace: { amount: 1, unit: "hour" },
            lateEvents: "adjustment",
            measures: [
              { name: "calls", op: "sum", expression: "data.calls" },
              { name: "events", op: "count" },
              { name: "peak", op: "max", expression: "data.calls" },
              { name: "least", op: "min", expression: "data.calls" },
              { name: "regions", op: "distinctCount", expression: "data.region" },
              { name: "last", op: "latest", expression: "data.endpoint" },
            ],
          },
        },
      ],
      [["validate", "valid", "agg", "in"]],
    ),
  );

  it("computes every measure exactly, and late events adjust their window when configured to", () => {
    const context = memoryContext();
    const call = (id: string, calls: number, hour: number, region: string, endpoint: string) => ({
      ...apiCall(id, "t", calls, at(hour)),
      data: { tenantId: "t", productCode: "p", calls, region, endpoint },
    });
    plan.run([call("a", 7, 3, "eu", "/x"), call("b", 2, 9, "us", "/y"), call("c", 11, 5, "eu", "/z")], context);
    plan.run([call("d", 1, 30, "eu", "/w")], context); // next day: moves the watermark past day one + grace
    const late = plan.run([call("e", 4, 1, "apac", "/late")], context);
    expect(late.outcomes[0]!.outcome).toBe("validated");
    const closed = plan.closeWindows(context, { all: true });
    const dayOne = closed.summaries.find((summary) => summary.window.start.startsWith("2026-11-02"))!.window;
    expect(dayOne.measures).toEqual({
      calls: "24",
      events: "4",
      peak: "11",
      least: "2",
      regions: { values: ['"apac"', '"eu"', '"us"'], count: 3 },
      last: { at: at(9), value: "/y" },
    });
    expect(dayOne.count).toBe(4);

    // Day one is summarised now: a later event for it must not reopen it under the same key.
    const afterClose = plan.run([call("f", 9, 2, "eu", "/after")], context);
    expect(afterClose.outcomes).toEqual([{ event: "/gateway#f", outcome: "exception" }]);
    expect(afterClose.exceptions).toEqual([
      expect.objectContaining({
        kind: "late_event",
        nodeId: "agg",
        reason: expect.stringContaining("adjustments join a window only while it is open, and this one is closed"),
      }),
    ]);
    expect(afterClose.windowUpdates).toEqual([]);
  });
});

describe("Post and Notify", () => {
  const plan = compileFlow(
    flowWith(
      [
        {
          id: "map",
          type: "map",
          position: { x: 0, y: 0 },
          config: {
            target: "UsageRecord@1",
            fields: [
              { target: "customer", expression: "data.tenantId" },
              { target: "calls", expression: "data.calls" },
            ],
          },
        },
        {
          id: "post",
          type: "post",
          position: { x: 0, y: 0 },
          config: {
            endpoint: "erp@1",
            operation: "createInvoice",
            request: '{ "customer": customer, "lines": [{ "qty": calls }] }',
            batch: { maxLines: 2 },
          },
        },
        {
          id: "notify",
          type: "notify",
          position: { x: 0, y: 0 },
          config: {
            endpoint: "hook@1",
            operation: "send",
            request: '{ "text": customer & " used " & calls }',
            idempotencyKey: '"alert-" & customer & "-" & calls',
          },
        },
      ],
      [
        ["validate", "valid", "map", "in"],
        ["map", "out", "post", "in"],
        ["map", "out", "notify", "in"],
      ],
      ["erp@1", "hook@1"],
    ),
  );

  it("batches lines of requests with the same header, at most maxLines each, with a key per batch", () => {
    const effects = plan.run(
      [
        apiCall("a", "t-1", 1, at(1)),
        apiCall("b", "t-2", 2, at(1)),
        apiCall("c", "t-1", 3, at(1)),
        apiCall("d", "t-1", 4, at(1)),
      ],
      memoryContext(),
    );
    const posts = effects.postings.filter((posting) => posting.kind === "post");
    expect(posts.map((posting) => posting.request)).toEqual([
      { customer: "t-1", lines: [{ qty: 1 }, { qty: 3 }] },
      { customer: "t-2", lines: [{ qty: 2 }] },
      { customer: "t-1", lines: [{ qty: 4 }] },
    ]);
    expect(new Set(posts.map((posting) => posting.idempotencyKey)).size).toBe(3);
    const notifications = effects.postings.filter((posting) => posting.kind === "notify");
    expect(notifications.map((posting) => [posting.idempotencyKey, posting.request])).toEqual([
      ["alert-t-1-1", { text: "t-1 used 1" }],
      ["alert-t-2-2", { text: "t-2 used 2" }],
      ["alert-t-1-3", { text: "t-1 used 3" }],
      ["alert-t-1-4", { text: "t-1 used 4" }],
    ]);
  });

  it("turns a failing request mapping into an erp_failure exception instead of stopping the batch", () => {
    const broken = compileFlow(
      flowWith(
        [
          {
            id: "map",
            type: "map",
            position: { x: 0, y: 0 },
            config: {
              target: "UsageRecord@1",
              fields: [
                { target: "calls", expression: "data.calls" },
                { target: "tenant", expression: "data.tenantId" },
              ],
            },
          },
          {
            id: "post",
            type: "post",
            position: { x: 0, y: 0 },
            config: { endpoint: "erp@1", operation: "op", request: "calls + tenant" },
          },
        ],
        [
          ["validate", "valid", "map", "in"],
          ["map", "out", "post", "in"],
        ],
        ["erp@1"],
      ),
    );
    const effects = broken.run([apiCall("a", "t-1", 1, at(1)), apiCall("b", "t-1", 2, at(1))], memoryContext());
    expect(effects.exceptions).toEqual(
      [1, 2].map(() =>
        expect.objectContaining({
          kind: "erp_failure",
          reason: expect.stringMatching(
            /^Request mapping: The right side of the \+ operator must evaluate to a number/,
          ),
        }),
      ),
    );
    expect(effects.outcomes.map((entry) => entry.outcome)).toEqual(["exception", "exception"]);
  });
});

describe("Approval gate", () => {
  it("holds matching items and rejects items whose condition cannot be evaluated", () => {
    const plan = compileFlow(
      flowWith(
        [
          {
            id: "map",
            type: "map",
            position: { x: 0, y: 0 },
            config: {
              target: "UsageRecord@1",
              fields: [
                { target: "calls", expression: "data.calls" },
                { target: "tenant", expression: "data.tenantId" },
              ],
            },
          },
          { id: "gate", type: "approval", position: { x: 0, y: 0 }, config: { holdWhen: "calls > 100" } },
        ],
        [
          ["validate", "valid", "map", "in"],
          ["map", "out", "gate", "in"],
        ],
      ),
    );
    const effects = plan.run([apiCall("a", "t", 500, at(1)), apiCall("b", "t", 5, at(1))], memoryContext());
    expect(effects.approvals).toEqual([
      expect.objectContaining({
        nodeId: "gate",
        approverRole: "finance",
        payload: expect.objectContaining({ calls: 500 }),
      }),
    ]);
    expect(effects.outcomes.map((entry) => entry.outcome)).toEqual(["validated", "validated"]);
  });
});

describe("Dedupe by the event's identity", () => {
  const dedupeBy = (key: string) =>
    compileFlow(
      flowWith(
        [
          {
            id: "dedupe",
            type: "dedupe",
            position: { x: 0, y: 0 },
            config: { key, window: { amount: 1, unit: "day" } },
          },
          {
            id: "map",
            type: "map",
            position: { x: 0, y: 0 },
            config: { target: "UsageRecord@1", fields: [{ target: "id", expression: "id" }] },
          },
          {
            id: "again",
            type: "dedupe",
            position: { x: 0, y: 0 },
            config: { key: 'source & "/" & id', window: { amount: 1, unit: "day" } },
          },
          {
            id: "records",
            type: "map",
            position: { x: 0, y: 0 },
            config: { target: "UsageRecord@1", fields: [{ target: "id", expression: "id" }] },
          },
        ],
        [
          ["validate", "valid", "dedupe", "in"],
          ["dedupe", "unique", "map", "in"],
          ["map", "out", "again", "in"],
          ["again", "unique", "records", "in"],
        ],
      ),
    );
  /** A context whose events are unique (the runtime's), recording what the Dedupe nodes ask and remember. */
  const uniqueEventsContext = () => {
    const base = memoryContext();
    const calls: string[] = [];
    const dedupe = {
      uniqueEvents: true,
      seen: (nodeId: string, key: string, atMs: number) => (
        calls.push(`seen ${nodeId} ${key}`), base.dedupe.seen(nodeId, key, atMs)
      ),
      remember: (nodeId: string, key: string, expiresAtMs: number) => (
        calls.push(`remember ${nodeId} ${key}`), base.dedupe.remember(nodeId, key, expiresAtMs)
      ),
    };
    return { context: { ...base, dedupe }, calls };
  };

  it("keeps no keys for events where events are unique, and still for items made from them", () => {
    const { context, calls } = uniqueEventsContext();
    const effects = dedupeBy('source & "/" & id').run(
      [apiCall("a", "t", 1, at(1)), apiCall("b", "t", 1, at(1))],
      context,
    );
    expect(effects.records.filter((record) => record.nodeId === "records")).toHaveLength(2);
    // A mapped record is not its event, whatever its fields: that node keeps keys.
    expect(calls).toEqual(["seen again /a", "remember again /a", "seen again /b", "remember again /b"]);
  });

  it("keeps keys for any other key, and drops a repeat where one input may hold an event twice", () => {
    const { context, calls } = uniqueEventsContext();
    dedupeBy("data.tenantId & id").run([apiCall("a", "t", 1, at(1))], context);
    expect(calls).toContain("remember dedupe ta");
    const effects = dedupeBy('id & "@" & source').run(
      [apiCall("a", "t", 1, at(1)), apiCall("a", "t", 1, at(1))],
      memoryContext(),
    );
    expect(effects.duplicates).toEqual([expect.objectContaining({ nodeId: "dedupe", key: "a@/gateway" })]);
  });
});

describe("memoryContext price lists", () => {
  it("treats a list effective exactly at the window start as effective, whatever the timestamp's format", () => {
    const context = memoryContext({
      priceLists: [
        {
          name: "p",
          version: 1,
          region: "global",
          currency: "EUR",
          includedUnits: "0",
          tiers: [],
          effectiveFrom: "2026-11-01T00:00:00Z",
          effectiveTo: "2026-12-01T00:00:00Z",
        },
      ],
    });
    expect(context.priceList("p", undefined, "2026-11-01T00:00:00.000Z")?.version).toBe(1);
    expect(context.priceList("p", undefined, "2026-12-01T00:00:00.000Z")).toBeUndefined();
  });
});
