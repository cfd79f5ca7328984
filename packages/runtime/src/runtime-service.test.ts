import { count, not } from "drizzle-orm";
import { eventProcessed, eventsRaw, openDatabase, type DatabaseHandle } from "@meterflow/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestActivity } from "./ingest-activity";
import { ingestEvents } from "./ingest-events";
import { startRuntime } from "./runtime-service";
import { apiCall, deployedBillingFlow, WORKSPACE } from "./testing/runtime-fixture";

describe("the runtime's workers", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ dataDir: null });
    await deployedBillingFlow(handle.db);
  });
  afterAll(() => handle?.close());

  const pending = async () => (await handle.db.select({ n: count() }).from(eventsRaw).where(not(eventProcessed)))[0]!.n;

  it("give way to ingestion requests in flight, then process what they stored", async () => {
    const activity = createIngestActivity();
    let finishRequest!: () => void;
    const request = activity.track(async () => {
      await ingestEvents(handle.db, WORKSPACE, [
        apiCall("a", "acme", 5, "2026-11-02T10:00:00Z"),
        apiCall("b", "globex", 7, "2026-11-02T11:00:00Z"),
      ]);
      await new Promise<void>((resolve) => (finishRequest = resolve));
    });
    await expect.poll(() => pending()).toBe(2);
    expect(activity.inFlight).toBe(1);

    const runtime = startRuntime(handle.db, {
      endpoints: {},
      ingest: activity,
      giveWayMs: 60_000,
      pollMs: 10,
      workers: 1,
    });
    try {
      runtime.notify();
      // Long enough for several polls: with a request in flight, none claims a batch.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await pending()).toBe(2);

      finishRequest();
      await request;
      expect(activity.inFlight).toBe(0);
      await expect.poll(() => pending(), { timeout: 10_000 }).toBe(0);
    } finally {
      await runtime.stop();
    }
  });

  it("stop without waiting out the scheduler's and the dispatcher's pauses", async () => {
    const runtime = startRuntime(handle.db, {
      endpoints: {},
      pollMs: 3_600_000,
      windowCheckMs: 3_600_000,
      dispatchMs: 3_600_000,
      workers: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // each loop's first pass is done: all pause
    // With an hour's pause to wait out, a stop that waited would outlast the test's timeout.
    await runtime.stop();
  });
});
