import { ensureLocalApiKey, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE } from "../seed-workspace";
import { testCaller } from "../testing/test-caller";

describe.each(databaseCases())("runtime API on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let api: Awaited<ReturnType<typeof testCaller>>;
  beforeAll(async () => {
    handle = await open();
    api = await testCaller(handle);
  });
  afterAll(async () => handle?.close());

  it("shows the local key created at first start, and creates it only once", async () => {
    const first = await ensureLocalApiKey(handle.db, DEFAULT_WORKSPACE.id);
    expect(first).toMatchObject({ created: true, key: expect.stringMatching(/^mf_[\w-]{32}$/) });
    expect(await ensureLocalApiKey(handle.db, DEFAULT_WORKSPACE.id)).toEqual({ created: false, key: first!.key });
    expect(await api.caller.runtime.apiKeys()).toEqual([expect.objectContaining({ name: "local", key: first!.key, prefix: first!.key.slice(0, 9), revoked: false })]);
  });

  it("ingests over tRPC with per-event results and counts stored events", async () => {
    const event = { specversion: "1.0", id: "t-1", source: "/gw", type: "com.meterflow.api.call", data: { tenantId: "acme" } };
    expect(await api.caller.runtime.ingest({ events: [event, event, { id: 1 }] })).toMatchObject({ stored: 1, duplicates: 1, invalid: 1 });
    expect(await api.caller.runtime.stats()).toEqual({ rawEvents: 1 });
  });
});
