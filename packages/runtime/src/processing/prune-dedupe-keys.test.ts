import { dedupeKeys, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneExpiredDedupeKeys } from "./prune-dedupe-keys";

describe.each(databaseCases())("pruning dedupe keys on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("deletes the expired keys, in chunks, and keeps the others", async () => {
    const now = Date.parse("2026-11-30T00:00:00Z");
    const deploymentId = "00000000-0000-4000-8000-000000000001";
    await handle.db.insert(dedupeKeys).values([
      ...Array.from({ length: 5 }, (_, i) => ({
        deploymentId,
        nodeId: "dedupe",
        key: `old-${i}`,
        expiresAtMs: now - 1000 * (i + 1),
      })),
      { deploymentId, nodeId: "dedupe", key: "just-expired", expiresAtMs: now },
      { deploymentId, nodeId: "dedupe", key: "live", expiresAtMs: now + 1 },
    ]);
    expect(await pruneExpiredDedupeKeys(handle.db, { now: new Date(now), chunk: 2 })).toBe(6);
    expect((await handle.db.select({ key: dedupeKeys.key }).from(dedupeKeys)).map((row) => row.key)).toEqual(["live"]);
    expect(await pruneExpiredDedupeKeys(handle.db, { now: new Date(now) })).toBe(0);
  });
});
