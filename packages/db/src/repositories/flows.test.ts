import { sql } from "drizzle-orm";
import { validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { exampleFlow } from "@meterflow/flow-spec/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "../errors";
import type { DatabaseHandle } from "../open-database";
import { databaseCases } from "../testing/database-cases";
import { listAudit } from "./audit-log";
import { getVersion, listVersions, publishVersion } from "./flow-versions";
import { createFlow, getFlow, listFlows, saveDraft } from "./flows";

const ana = { id: "ana", name: "Ana" };
const bo = { id: "bo", name: "Bo" };
import { storeRawEvents } from "./raw-events";
import { ensureWorkspace } from "./workspaces";

function document(name = "Example flow"): FlowDocument {
  const result = validateFlow({ ...exampleFlow(), metadata: { ...exampleFlow().metadata, name } });
  if (!result.ok) throw new Error("example flow should be valid");
  return result.document;
}

/** The database's own message for a refused statement (drizzle wraps it as the cause). */
function databaseRefusal(query: Promise<unknown>): Promise<string> {
  return query.then(
    () => "statement was accepted",
    (error: Error) => (error.cause instanceof Error ? error.cause.message : error.message),
  );
}

describe.each(databaseCases())("repositories on $name", ({ open }) => {
  let handle: DatabaseHandle;
  const ws = "ws-test";
  beforeAll(async () => {
    handle = await open();
    await ensureWorkspace(
      handle.db,
      { id: ws, name: "Test" },
      { id: "u-ana", name: "Ana", email: "ana@example.com", roles: ["engineer"] },
    );
    await ensureWorkspace(
      handle.db,
      { id: "ws-other", name: "Other" },
      { id: "u-bo", name: "Bo", email: "bo@example.com", roles: ["engineer"] },
    );
  });
  afterAll(async () => handle?.close());

  it("creates, lists and reads flows within a workspace only", async () => {
    const flow = await createFlow(handle.db, { workspaceId: ws, document: document("Listed"), actor: ana });
    expect(flow.revision).toBe(1);
    expect(flow.draftHash).toMatch(/^sha256:/);
    const listed = await listFlows(handle.db, ws);
    expect(listed.find((f) => f.id === flow.id)).toMatchObject({
      name: "Listed",
      nodeCount: 4,
      latestVersion: null,
      runningVersion: null,
      revision: 1,
    });
    expect(await listFlows(handle.db, "ws-other")).toEqual([]);
    await expect(getFlow(handle.db, "ws-other", flow.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await getFlow(handle.db, ws, flow.id)).draft).toEqual(document("Listed"));
  });

  it("saves drafts with optimistic concurrency: a stale revision is a CONFLICT and nothing is saved", async () => {
    const flow = await createFlow(handle.db, { workspaceId: ws, document: document(), actor: ana });
    const moved = structuredClone(flow.draft);
    moved.nodes[0]!.position = { x: 42, y: 7 };
    const saved = await saveDraft(handle.db, {
      workspaceId: ws,
      flowId: flow.id,
      document: moved,
      expectedRevision: 1,
      actor: ana,
    });
    expect(saved.revision).toBe(2);

    const stale = structuredClone(flow.draft);
    stale.metadata.name = "Overwritten?";
    const attempt = saveDraft(handle.db, {
      workspaceId: ws,
      flowId: flow.id,
      document: stale,
      expectedRevision: 1,
      actor: bo,
    });
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/changed by ana \(revision 2\) after you loaded revision 1/);
    const current = await getFlow(handle.db, ws, flow.id);
    expect(current.revision).toBe(2);
    expect(current.draft.nodes[0]!.position).toEqual({ x: 42, y: 7 });
    expect(current.name).toBe("Example flow");
  });

  it("publishes numbered, content-hashed, immutable versions and audits every change", async () => {
    const flow = await createFlow(handle.db, { workspaceId: ws, document: document("Versioned"), actor: ana });
    const v1 = await publishVersion(handle.db, { workspaceId: ws, flowId: flow.id, actor: ana, changelog: "first" });
    expect(v1).toMatchObject({ number: 1, state: "published", contentHash: flow.draftHash, author: "ana" });
    await expect(
      publishVersion(handle.db, { workspaceId: ws, flowId: flow.id, actor: ana, changelog: "again" }),
    ).rejects.toThrow(/identical to version 1/);

    const changed = structuredClone(flow.draft);
    changed.metadata.description = "now with a description";
    await saveDraft(handle.db, {
      workspaceId: ws,
      flowId: flow.id,
      document: changed,
      expectedRevision: 1,
      actor: ana,
    });
    const v2 = await publishVersion(handle.db, {
      workspaceId: ws,
      flowId: flow.id,
      actor: bo,
      changelog: "describe",
    });
    expect(v2.number).toBe(2);
    expect(v2.contentHash).not.toBe(v1.contentHash);
    expect((await listVersions(handle.db, ws, flow.id)).map((v) => v.number)).toEqual([2, 1]);
    expect((await getVersion(handle.db, ws, v1.id)).document).toEqual(flow.draft);
    await expect(getVersion(handle.db, "ws-other", v1.id)).rejects.toBeInstanceOf(NotFoundError);

    // The database refuses to rewrite a published version or the audit log.
    expect(
      await databaseRefusal(
        handle.db.execute(sql`update flow_versions set content_hash = 'sha256:forged' where id = ${v1.id}`),
      ),
    ).toMatch(/immutable/);
    expect(await databaseRefusal(handle.db.execute(sql`delete from flow_versions where id = ${v1.id}`))).toMatch(
      /cannot be deleted/,
    );
    expect(await databaseRefusal(handle.db.execute(sql`delete from audit_log`))).toMatch(/append-only/);

    const actions = (await listAudit(handle.db, { workspaceId: ws, entityType: "flow", entityId: flow.id })).map(
      (entry) => entry.action,
    );
    expect(actions).toEqual(["flow_version.published", "flow.draft_saved", "flow_version.published", "flow.created"]);
  });

  it("gives concurrent publishes consecutive numbers", async () => {
    const flow = await createFlow(handle.db, { workspaceId: ws, document: document("Race"), actor: ana });
    const drafts = [1, 2, 3].map((n) => {
      const draft = structuredClone(flow.draft);
      draft.metadata.description = `change ${n}`;
      return draft;
    });
    let revision = flow.revision;
    const published = [];
    for (const draft of drafts) {
      revision = (
        await saveDraft(handle.db, {
          workspaceId: ws,
          flowId: flow.id,
          document: draft,
          expectedRevision: revision,
          actor: ana,
        })
      ).revision;
      published.push(
        publishVersion(handle.db, { workspaceId: ws, flowId: flow.id, actor: ana, changelog: "x" }).catch(
          (error: Error) => error,
        ),
      );
    }
    const outcomes = await Promise.all(published);
    const numbers = outcomes
      .filter((o): o is Exclude<typeof o, Error> => !(o instanceof Error))
      .map((v) => v.number)
      .sort();
    expect(numbers).toEqual([...numbers.keys()].map((i) => i + 1));
  });

  it("stores raw events once per (source, id) and reports repeats as duplicates", async () => {
    const event = (id: string) => ({
      source: "/api-gateway",
      eventId: id,
      type: "com.meterflow.api.call",
      partitionKey: "t-1",
      correlationId: `corr-${id}`,
      envelope: { id },
    });
    const first = await storeRawEvents(handle.db, ws, [event("e-1"), event("e-2"), event("e-1")]);
    expect(first.map((o) => o.status)).toEqual(["stored", "stored", "duplicate"]);
    const second = await storeRawEvents(handle.db, ws, [event("e-2"), event("e-3")]);
    expect(second.map((o) => o.status)).toEqual(["duplicate", "stored"]);
  });
});
