import type { DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { processNextBatch } from "@meterflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_USER } from "@meterflow/runtime";
import { testCaller } from "../testing/test-caller";

describe.each(databaseCases())("the audit log API on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let api: Awaited<ReturnType<typeof testCaller>>;
  beforeAll(async () => {
    handle = await open();
    api = await testCaller(handle);
  });
  afterAll(async () => handle?.close());

  it("lists what was done, newest first, by whom, with the comment; filtered by kind of entity", async () => {
    const flow = await api.caller.templates.instantiate({ templateId: "metered-api-billing" });
    const version = await api.caller.versions.publish({ flowId: flow.id, changelog: "first" });
    const deployment = await api.caller.deployments.deploy({ versionId: version.id });
    await api.caller.events.ingest({
      events: [
        {
          specversion: "1.0",
          id: "a-1",
          source: "/gw",
          type: "com.meterflow.api.call",
          time: "2026-10-03T10:00:00Z",
          data: { tenantId: "nobody", productCode: "api-calls", calls: 1 },
        },
      ],
    });
    while (await processNextBatch(handle.db));
    const [exception] = await api.caller.exceptions.list({ status: "open" });
    await api.caller.exceptions.resolve({ ids: [exception!.id], comment: "a test tenant" });

    const entries = await api.caller.audit.list();
    expect(entries.slice(0, 4).map((entry) => [entry.action, entry.entityType, entry.entityId])).toEqual([
      ["exception.resolved", "exception", exception!.id],
      ["deployment.deployed", "deployment", deployment.id],
      ["flow_version.published", "flow", flow.id],
      ["flow.created", "flow", flow.id],
    ]);
    expect(entries[0]).toMatchObject({
      actor: LOCAL_USER.id,
      actorName: LOCAL_USER.name,
      details: { comment: "a test tenant" },
    });
    expect(entries.map((entry) => entry.id)).toEqual([...entries.map((entry) => entry.id)].sort((a, b) => b - a));

    expect((await api.caller.audit.list({ entityType: "exception" })).map((entry) => entry.action)).toEqual([
      "exception.resolved",
    ]);
    expect(await api.caller.audit.list({ entityType: "flow", entityId: flow.id, limit: 1 })).toHaveLength(1);
    await expect(api.caller.audit.list({ limit: 501 })).rejects.toThrow(/At most 500 entries at a time/);
  });
});
