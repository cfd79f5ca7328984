import type { DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { exampleFlow } from "@meterflow/flow-spec/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InvalidFlowError } from "@meterflow/engine";
import { testCaller } from "../testing/test-caller";

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(error)}`);
  return error;
}

describe.each(databaseCases())("flows, versions and templates API on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let api: Awaited<ReturnType<typeof testCaller>>;
  beforeAll(async () => {
    handle = await open();
    api = await testCaller(handle);
  });
  afterAll(async () => handle?.close());

  it("lists templates and creates a draft from one", async () => {
    const templates = await api.caller.templates.list();
    expect(templates.map((t) => t.id)).toContain("metered-api-billing");
    const flow = await api.caller.templates.instantiate({ templateId: "metered-api-billing", name: "ACME billing" });
    expect(flow).toMatchObject({ name: "ACME billing", templateId: "metered-api-billing", revision: 1 });
    const fetched = await api.caller.flows.get({ id: flow.id });
    expect(fetched.draft.nodes.map((n) => n.type)).toEqual(
      expect.arrayContaining([
        "source.events",
        "validate",
        "dedupe",
        "enrich",
        "map",
        "aggregate",
        "rate",
        "approval",
        "post",
      ]),
    );
    expect(fetched.problems).toEqual([]);
    const unknown = await failure(api.caller.templates.instantiate({ templateId: "nope" }));
    expect(unknown.code).toBe("NOT_FOUND");
    expect(unknown.message).toMatch(/No template "nope"; available: .*metered-api-billing/);
  });

  it("refuses an invalid document with every problem listed, and saves nothing", async () => {
    const before = await api.caller.flows.list();
    const doc = exampleFlow();
    doc.edges[0]!.target.node = "ghost";
    (doc.nodes[2]!.config as { target: string }).target = "Unicorn@9";
    doc.references!.canonicalTypes = ["Unicorn@9"];
    const error = await failure(api.caller.flows.create({ document: doc as unknown as Record<string, unknown> }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/nothing was saved/);
    const problems = (error.cause as InvalidFlowError).problems;
    expect(problems.map((p) => [p.code, p.path])).toEqual(
      expect.arrayContaining([
        ["dangling_edge", "$.edges[0].target.node"],
        ["unknown_reference", "$.references.canonicalTypes[0]"],
      ]),
    );
    expect(await api.caller.flows.list()).toEqual(before);
  });

  it("refuses a draft whose expression does not parse, pointing at the field", async () => {
    const doc = exampleFlow();
    (doc.nodes[2]!.config as { fields: { target: string; expression: string }[] }).fields[0]!.expression =
      "data.(tenantId";
    const error = await failure(api.caller.flows.create({ document: doc as unknown as Record<string, unknown> }));
    expect(error.code).toBe("BAD_REQUEST");
    expect((error.cause as InvalidFlowError).problems).toEqual([
      expect.objectContaining({
        code: "invalid_expression",
        path: "$.nodes[2].config.fields[0].expression",
        nodeId: "map",
        message: expect.stringContaining('Expression "data.(tenantId" does not parse'),
      }),
    ]);
  });

  it("refuses text the database cannot hold with a BAD_REQUEST that says so, and saves nothing", async () => {
    const before = await api.caller.flows.list();
    const doc = exampleFlow();
    doc.nodes[0]!.name = "Events\u0000";
    const error = await failure(api.caller.flows.create({ document: doc as unknown as Record<string, unknown> }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe(
      "The input contains a character PostgreSQL text cannot hold (U+0000, or half of a surrogate pair)",
    );
    expect(await api.caller.flows.list()).toEqual(before);
  });

  it("saves drafts and answers a stale save with CONFLICT", async () => {
    const flow = await api.caller.flows.create({ document: exampleFlow() as unknown as Record<string, unknown> });
    const moved = structuredClone(flow.draft);
    moved.nodes[1]!.position = { x: 900, y: 50 };
    const saved = await api.caller.flows.saveDraft({ id: flow.id, expectedRevision: flow.revision, document: moved });
    expect(saved.revision).toBe(2);
    expect((await api.caller.flows.get({ id: flow.id })).draft.nodes[1]!.position).toEqual({ x: 900, y: 50 });

    const conflict = await failure(
      api.caller.flows.saveDraft({ id: flow.id, expectedRevision: 1, document: flow.draft }),
    );
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.message).toMatch(/changed by local-engineer \(revision 2\)/);

    const broken = structuredClone(moved) as unknown as Record<string, unknown>;
    broken.edges = "none";
    expect(
      (await failure(api.caller.flows.saveDraft({ id: flow.id, expectedRevision: 2, document: broken }))).code,
    ).toBe("BAD_REQUEST");
    expect((await api.caller.flows.get({ id: flow.id })).revision).toBe(2);
  });

  it("publishes immutable numbered versions of the draft", async () => {
    const flow = await api.caller.flows.create({ document: exampleFlow() as unknown as Record<string, unknown> });
    const v1 = await api.caller.versions.publish({ flowId: flow.id, changelog: "First cut" });
    expect(v1).toMatchObject({ number: 1, contentHash: flow.draftHash, state: "published" });
    const again = await failure(api.caller.versions.publish({ flowId: flow.id, changelog: "No change" }));
    expect(again.code).toBe("CONFLICT");
    expect((await api.caller.versions.list({ flowId: flow.id })).map((v) => v.number)).toEqual([1]);
    expect((await api.caller.versions.get({ id: v1.id })).document).toEqual(flow.draft);
    expect((await api.caller.flows.list()).find((f) => f.id === flow.id)?.latestVersion).toBe(1);
    const empty = await failure(api.caller.versions.publish({ flowId: flow.id, changelog: " " }));
    expect(empty.code).toBe("BAD_REQUEST");
  });

  it("names what is missing or malformed in the input", async () => {
    expect((await failure(api.caller.flows.get({ id: "not-a-uuid" }))).message).toMatch(/Flow ids are UUIDs/);
    const missing = await failure(api.caller.flows.get({ id: "00000000-0000-4000-8000-000000000000" }));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toBe('Flow "00000000-0000-4000-8000-000000000000" does not exist');
  });

  it("requires an actor for workspace procedures but not for health", async () => {
    const anonymous = api.as(null);
    expect((await failure(anonymous.flows.list())).code).toBe("UNAUTHORIZED");
    expect(await anonymous.health.check()).toMatchObject({ status: "ok", database: handle.driver });
  });
});
