import type { AddressInfo } from "node:net";
import { createApiKey, ensureWorkspace, openDatabase, type DatabaseHandle } from "@meterflow/db";
import { createRuntimeMetrics } from "@meterflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "./http-server";

const call = (id: string) => ({
  specversion: "1.0",
  id,
  source: "/gw",
  type: "com.meterflow.api.call",
  time: "2026-11-03T10:00:00Z",
  data: { tenantId: "acme", productCode: "api-calls", calls: 1 },
});

describe("POST /v1/events", () => {
  let database: DatabaseHandle;
  let url: string;
  let metricsUrl: string;
  let key: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: null });
    await ensureWorkspace(
      database.db,
      { id: "w", name: "W" },
      { id: "u", name: "U", email: "u@x", roles: ["engineer"] },
    );
    key = (await createApiKey(database.db, { workspaceId: "w", name: "test" })).key;
    const metrics = createRuntimeMetrics(database.db, { processMetrics: false });
    const server = createHttpServer({
      database,
      templates: [],
      webDist: "/nonexistent",
      ingest: { maxBodyBytes: 4096, maxBatchEvents: 5, eventsPerSecond: 10, burst: 8 },
      runtime: { wake: () => {}, metrics },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
    metricsUrl = new URL("/metrics", url).href;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await database?.close();
  });

  const post = (body: string, headers: Record<string, string>) => fetch(url, { method: "POST", body, headers });
  const batch = (events: unknown[], auth = `Bearer ${key}`) =>
    post(JSON.stringify(events), { "content-type": "application/cloudevents-batch+json", authorization: auth });

  it("refuses requests without a valid key, naming what to send", async () => {
    const missing = await post(JSON.stringify(call("x")), { "content-type": "application/cloudevents+json" });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: string }).error).toMatch(/Authorization: Bearer mf_/);
    expect((await batch([call("x")], "Bearer mf_wrong")).status).toBe(401);
  });

  it("stores a batch and answers per event; a repeat is a duplicate", async () => {
    const response = await batch([call("a"), { specversion: "1.0", id: "b" }, call("a")]);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      mode: "batch",
      stored: 1,
      duplicates: 1,
      invalid: 1,
      results: [
        { index: 0, status: "stored" },
        { index: 1, status: "invalid", error: "Not a CloudEvent: missing source, type" },
        { index: 2, status: "duplicate" },
      ],
    });
  });

  it("accepts binary mode and structured mode, and refuses a single invalid event with 400", async () => {
    const binary = await post('{"tenantId":"acme","calls":2}', {
      "content-type": "application/json",
      "x-api-key": key,
      "ce-specversion": "1.0",
      "ce-id": "bin-1",
      "ce-source": "/gw",
      "ce-type": "com.meterflow.api.call",
    });
    expect(await binary.json()).toMatchObject({ mode: "binary", stored: 1 });
    const invalid = await post(JSON.stringify({ specversion: "0.3", id: "s", source: "/gw", type: "t" }), {
      "content-type": "application/cloudevents+json",
      authorization: `Bearer ${key}`,
    });
    expect(invalid.status).toBe(400);
  });

  it("answers malformed JSON with 400, unknown media types with 415, and oversized bodies or batches with 413", async () => {
    expect(
      (await post("{ not json", { "content-type": "application/cloudevents+json", authorization: `Bearer ${key}` }))
        .status,
    ).toBe(400);
    expect((await post("a,b", { "content-type": "text/csv", authorization: `Bearer ${key}` })).status).toBe(415);
    expect(
      (await post("x".repeat(5000), { "content-type": "application/cloudevents+json", authorization: `Bearer ${key}` }))
        .status,
    ).toBe(413);
    const tooMany = await batch([1, 2, 3, 4, 5, 6].map((n) => call(`many-${n}`)));
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as { error: string }).error).toMatch(/batch of 6 events exceeds the limit of 5/);
  });

  it("rate-limits per key with 429 and Retry-After", async () => {
    const responses = [];
    for (let i = 0; i < 4; i += 1) responses.push(await batch([1, 2, 3].map((n) => call(`rl-${i}-${n}`))));
    const limited = responses.find((response) => response.status === 429);
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("serves Prometheus metrics: requests by status, their latency, and events by how ingestion answered", async () => {
    /** The samples of the metrics text, by name and labels as written ('name{label="value"}'). */
    const scrape = async () => {
      const response = await fetch(metricsUrl);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      return new Map(
        text
          .split("\n")
          .filter((line) => line && !line.startsWith("#"))
          .map((line) => [line.slice(0, line.lastIndexOf(" ")), Number(line.slice(line.lastIndexOf(" ") + 1))]),
      );
    };
    const before = await scrape();
    const grown = (after: Map<string, number>, sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the rate limit's burst refills
    await batch([call("metrics-1"), call("metrics-1"), { specversion: "1.0", id: "metrics-bad" }]);
    await post("{ not json", { "content-type": "application/cloudevents+json", authorization: `Bearer ${key}` });
    const after = await scrape();
    expect(grown(after, 'meterflow_ingest_requests_total{status="200"}')).toBe(1);
    expect(grown(after, 'meterflow_ingest_requests_total{status="400"}')).toBe(1);
    expect(grown(after, "meterflow_ingest_request_duration_seconds_count")).toBe(2);
    expect(grown(after, 'meterflow_ingest_events_total{outcome="stored"}')).toBe(1);
    expect(grown(after, 'meterflow_ingest_events_total{outcome="duplicate"}')).toBe(1);
    expect(grown(after, 'meterflow_ingest_events_total{outcome="invalid"}')).toBe(1);
    expect(after.get('meterflow_events_stored{workspace="w"}')).toBe(
      (before.get('meterflow_events_stored{workspace="w"}') ?? 0) + 1,
    );
  });
});
