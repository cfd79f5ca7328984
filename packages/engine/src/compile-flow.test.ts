import { describe, expect, it } from "vitest";
import { compileFlow, FlowCompileError } from "./compile-flow";
import { memoryContext } from "./memory-context";
import { apiCall, billingReference, meteredApiBillingTemplate } from "./testing-fixtures";

describe("the metered-api-billing template, end to end", () => {
  const plan = compileFlow(meteredApiBillingTemplate());

  it("runs a batch longer than a call's argument list may be (a replay of a busy tenant's month)", () => {
    const events = Array.from({ length: 150_000 }, (_, i) => apiCall(`big-${i}`, "t-1", 1, "2026-11-02T10:00:00Z"));
    const effects = plan.run(events, memoryContext(billingReference));
    expect(effects.outcomes).toHaveLength(150_000);
    expect(effects.outcomes.every(({ outcome }) => outcome === "validated")).toBe(true);
    expect(effects.records).toHaveLength(150_000);
  });

  it("validates, dedupes, enriches, maps and aggregates a batch; every event has one outcome", () => {
    const context = memoryContext(billingReference);
    const effects = plan.run(
      [
        apiCall("e1", "t-1", 400_000, "2026-11-02T10:00:00Z"),
        apiCall("e2", "t-1", 750_000, "2026-11-03T10:00:00Z"),
        apiCall("e1", "t-1", 400_000, "2026-11-02T10:00:00Z"),
        apiCall("e3", "t-2", 10, "2026-11-04T10:00:00Z"),
        apiCall("e4", "t-9", 5, "2026-11-04T10:00:00Z"),
        {
          ...apiCall("e5", "t-1", 1, "2026-11-04T10:00:00Z"),
          data: { tenantId: "t-1", productCode: "api-calls", calls: "many" },
        },
        { specversion: "1.0", id: "e6", source: "/gateway" },
      ],
      context,
    );
    expect(effects.outcomes.map(({ event, outcome }) => `${event} ${outcome}`)).toEqual([
      "/gateway#e1 validated",
      "/gateway#e2 validated",
      "/gateway#e1~2 duplicate",
      "/gateway#e3 validated",
      "/gateway#e4 exception",
      "/gateway#e5 exception",
      "batch[6] exception",
    ]);
    expect(effects.duplicates).toEqual([expect.objectContaining({ nodeId: "dedupe", key: "/gateway/e1" })]);
    expect(effects.exceptions.map((e) => [e.kind, e.nodeId])).toEqual([
      ["invalid_event", "ingestion"],
      ["invalid_event", "exceptions"],
      ["unmatched_account", "exceptions"],
    ]);
    expect(effects.exceptions[1]!.reason).toMatch(/Does not match usage.api_call@1: data.calls: must be integer/);
    expect(effects.exceptions[2]!.reason).toBe('No account for data.tenantId = "t-9"');
    expect(effects.records.map((r) => r.payload)).toEqual([
      expect.objectContaining({
        tenantId: "t-1",
        contractId: "c-1",
        quantity: "400000",
        ratingPeriod: "2026-11",
        erpAccount: "ERP-1",
      }),
      expect.objectContaining({ tenantId: "t-1", quantity: "750000" }),
      expect.objectContaining({ tenantId: "t-2", contractId: "c-2", quantity: "10" }),
    ]);
    expect(effects.windowUpdates.map((w) => [w.group.tenantId, w.measures.quantity, w.count])).toEqual([
      ["t-1", "1150000", 2],
      ["t-2", "10", 1],
    ]);
  });

  it("closes windows into rated invoice lines, holds big ones for approval, and posts the rest with stable idempotency keys", () => {
    const context = memoryContext(billingReference);
    plan.run(
      [
        apiCall("e1", "t-1", 6_000_000, "2026-11-02T10:00:00Z"),
        apiCall("e2", "t-1", 150_000, "2026-11-03T10:00:00Z"),
        apiCall("e3", "t-2", 300_000, "2026-11-04T10:00:00Z"),
      ],
      context,
    );
    const nothingYet = plan.closeWindows(context);
    expect(nothingYet.summaries).toEqual([]);
    const closed = plan.closeWindows(context, { watermark: "2026-12-01T02:00:00Z" });
    expect(closed.summaries.map((s) => s.window.group.tenantId)).toEqual(["t-1", "t-2"]);
    // t-1: 6,150,000 calls, 100,000 included, 1,000,000 at 0.0010 + 5,050,000 at 0.0008 = 5040.00 -> held.
    expect(closed.approvals).toEqual([
      expect.objectContaining({
        nodeId: "approval",
        approverRole: "finance",
        payload: expect.objectContaining({
          billableQuantity: "6050000",
          total: { amount: "5040.00", currency: "EUR" },
        }),
      }),
    ]);
    // t-2: 300,000 - 100,000 included = 200,000 at 0.0010 = 200.00 -> posted.
    expect(closed.postings).toEqual([
      expect.objectContaining({
        endpoint: "erp-sandbox@1",
        operation: "createInvoice",
        idempotencyKey: expect.stringMatching(/^[0-9a-f]{64}$/),
        request: {
          customer: "ERP-2",
          currency: "EUR",
          lines: [{ item: "api-calls", description: "api_calls 2026-11", quantity: "200000", amount: "200.00" }],
        },
      }),
    ]);
    expect(closed.lineage.find((link) => link.nodeId === "rate")?.pricingRuleVersion).toBe(
      "api-calls-standard@inline/global",
    );
    expect(plan.closeWindows(context, { all: true }).summaries).toEqual([]);
  });

  it("sends events later than the grace period to late_event exceptions, and in-grace ones to their window", () => {
    const context = memoryContext(billingReference);
    plan.run([apiCall("e1", "t-1", 1, "2026-12-01T01:00:00Z")], context);
    const effects = plan.run(
      [
        apiCall("e2", "t-1", 5, "2026-11-30T23:30:00Z"),
        apiCall("e3", "t-1", 7, "2026-12-01T04:00:00Z"),
        apiCall("e4", "t-1", 9, "2026-11-30T20:00:00Z"),
      ],
      context,
    );
    expect(effects.outcomes.map((entry) => entry.outcome)).toEqual(["validated", "validated", "exception"]);
    expect(effects.exceptions[0]).toMatchObject({
      kind: "late_event",
      reason: expect.stringContaining("window 2026-11, closed since 2026-12-01T02:00:00.000Z"),
    });
    expect(effects.windowUpdates.map((w) => [w.start, w.measures.quantity])).toEqual([
      ["2026-11-01T00:00:00.000Z", "5"],
      ["2026-12-01T00:00:00.000Z", "8"],
    ]);
  });

  it("returns per-node traces in test-run mode", () => {
    const effects = plan.run(
      [apiCall("e1", "t-1", 3, "2026-11-02T10:00:00Z"), apiCall("e2", "t-9", 3, "2026-11-02T10:00:00Z")],
      memoryContext(billingReference),
      { trace: true },
    );
    const enrich = effects.traces!.find((trace) => trace.nodeId === "enrich")!;
    expect(enrich).toMatchObject({ received: 2, emitted: { out: 1, miss: 1 } });
    expect(enrich.samplesOut.miss![0]).toMatchObject({ exception: { kind: "unmatched_account" } });
    expect(effects.traces!.map((trace) => trace.nodeId)).toEqual([
      "events",
      "validate",
      "dedupe",
      "enrich",
      "map",
      "aggregate",
      "exceptions",
    ]);
  });

  it("refuses an invalid document with its problems", () => {
    expect(() => compileFlow({ apiVersion: "meterflow.dev/flow/v1" })).toThrow(FlowCompileError);
  });

  it("refuses a document whose expression does not parse, naming the field", () => {
    const document = meteredApiBillingTemplate() as { nodes: { id: string; config: { key?: string } }[] };
    document.nodes.find((node) => node.id === "dedupe")!.config.key = "source & (";
    const failure = (() => {
      try {
        compileFlow(document);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(FlowCompileError);
    expect((failure as FlowCompileError).problems).toEqual([
      expect.objectContaining({ code: "invalid_expression", path: "$.nodes[2].config.key" }),
    ]);
  });
});

describe("resuming work where it stopped (the runtime's retries and approvals)", () => {
  const plan = compileFlow(meteredApiBillingTemplate());

  it("names the node that raised an exception, and a retry there after fixing reference data validates the event", () => {
    const effects = plan.run([apiCall("e1", "t-9", 5, "2026-11-04T10:00:00Z")], memoryContext(billingReference));
    const [exception] = effects.exceptions;
    expect(exception).toMatchObject({ kind: "unmatched_account", nodeId: "exceptions", raisedBy: "enrich" });

    const fixed = memoryContext({
      accounts: { ...billingReference.accounts, "t-9": { tenantId: "t-9", erpAccountId: "ERP-9" } },
      contracts: {
        ...billingReference.contracts,
        "t-9": { contractId: "c-9", tenantId: "t-9", priceList: "api-calls-standard" },
      },
    });
    const retried = plan.resume(
      exception!.raisedBy,
      [{ id: exception!.itemId, value: exception!.payload, events: exception!.events, correlationId: "c" }],
      fixed,
    );
    expect(retried.exceptions).toEqual([]);
    expect(retried.records.map((record) => record.payload)).toEqual([
      expect.objectContaining({ tenantId: "t-9", erpAccount: "ERP-9" }),
    ]);
    expect(retried.windowUpdates.map((window) => window.count)).toEqual([1]);
  });

  it("releases a held approval through the approved port to Post, with the same idempotency key as an unheld run", () => {
    const context = memoryContext(billingReference);
    plan.run([apiCall("e1", "t-1", 9_000_000, "2026-11-02T10:00:00Z")], context);
    const closed = plan.closeWindows(context, { all: true });
    expect(closed.postings).toEqual([]);
    const [held] = closed.approvals;
    expect(held).toMatchObject({ nodeId: "approval", approverRole: "finance" });

    const released = plan.emit(
      "approval",
      "approved",
      [{ id: held!.itemId, value: held!.payload, events: held!.events, correlationId: "c" }],
      context,
    );
    expect(released.postings).toHaveLength(1);
    expect(released.postings[0]).toMatchObject({
      endpoint: "erp-sandbox@1",
      operation: "createInvoice",
      parts: [{ itemId: held!.itemId, lines: 1 }],
    });
    expect(() => plan.emit("approval", "nope", [], context)).toThrow(/no output port "nope"/);
    expect(() => plan.resume("ghost", [], context)).toThrow(/no node "ghost"/);
    expect(plan.accepts({ type: "com.meterflow.api.call", source: "/gateway" })).toBe(true);
    expect(plan.accepts({ type: "com.other", source: "/gateway" })).toBe(false);
  });
});
