import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSandboxHandler } from "./sandbox-http";
import { SandboxStore } from "./sandbox-store";

const invoice = {
  customer: "ERP-1001",
  currency: "EUR",
  lines: [{ item: "api-calls", description: "api_calls 2026-10", quantity: "1050000", amount: "1040.00" }],
};

describe("the ERP sandbox over HTTP", () => {
  const store = new SandboxStore();
  let server: Server;
  let base: string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    const handle = createSandboxHandler(store, { prefix: "/erp" });
    server = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/erp`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => store.reset());

  it("creates an invoice once per idempotency key: a replay returns the original, another body is refused", async () => {
    const created = await post("/invoices", invoice, { "idempotency-key": "k-1" });
    expect(created.status).toBe(201);
    const first = (await created.json()) as { id: string; total: string; lines: unknown[] };
    expect(first).toMatchObject({ id: "INV-000001", total: "1040.00", lines: [{ lineNo: 1, amount: "1040.00" }] });

    const replay = await post("/invoices", { ...invoice, lines: invoice.lines }, { "idempotency-key": "k-1" });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as { id: string }).id).toBe(first.id);

    const reused = await post("/invoices", { ...invoice, currency: "USD" }, { "idempotency-key": "k-1" });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ code: "idempotency_key_reused" });
    expect(store.invoices).toHaveLength(1);
  });

  it("explains what is wrong with a request", async () => {
    expect(await (await post("/invoices", invoice)).json()).toMatchObject({ code: "idempotency_key_required" });
    const invalid = await post(
      "/invoices",
      { ...invoice, lines: [{ item: "x", quantity: "1", amount: "12,50" }] },
      { "idempotency-key": "k-2" },
    );
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { error: string }).error).toMatch(/lines\.0\.amount: must be a decimal string/);
    const unknown = await post("/invoices", { ...invoice, customer: "ERP-404" }, { "idempotency-key": "k-3" });
    expect(await unknown.json()).toMatchObject({ code: "unknown_customer" });
    const malformed = await post("/invoices", "{not json", { "idempotency-key": "k-4" });
    expect(malformed.status).toBe(400);
    expect(store.invoices).toHaveLength(0);
  });

  it("injects scripted faults: 500 and 429 store nothing, a dropped answer stores the invoice and its retry replays it", async () => {
    await fetch(`${base}/faults`, {
      method: "PUT",
      body: JSON.stringify({ script: ["error", "quota", "drop_after_commit"] }),
    });
    expect((await post("/invoices", invoice, { "idempotency-key": "k-5" })).status).toBe(500);
    const limited = await post("/invoices", invoice, { "idempotency-key": "k-5" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(store.invoices).toHaveLength(0);
    await expect(post("/invoices", invoice, { "idempotency-key": "k-5" })).rejects.toThrow();
    expect(store.invoices).toHaveLength(1);
    const retry = await post("/invoices", invoice, { "idempotency-key": "k-5" });
    expect(retry.status).toBe(200);
    expect(store.invoices).toHaveLength(1);
  });

  it("answers 429 once the per-second quota is spent", async () => {
    store.setFaults({ quotaPerSecond: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1)
      statuses.push((await post("/invoices", invoice, { "idempotency-key": `q-${i}` })).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    expect(store.invoices.length).toBe(statuses.filter((status) => status === 201).length);
  });

  it("shows its invoices on a page, and revenue schedules against an invoice", async () => {
    await post("/invoices", invoice, { "idempotency-key": "k-6" });
    const schedule = await post("/revenue-schedules", {
      invoiceId: "INV-000001",
      entries: [{ period: "2026-10", amount: "1040.00" }],
    });
    expect(schedule.status).toBe(201);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain("INV-000001");
    expect(page).toContain("1040.00 EUR");
    expect(page).toMatch(/<table aria-label="Revenue schedule entries">.*2026-10.*1040\.00/s);
    expect(page).toMatch(/<table aria-label="Customers">.*ERP-1001/s);
  });

  it("shows its faults on the page in a form that switches them", async () => {
    await fetch(`${base}/faults`, { method: "PUT", body: JSON.stringify({ errorRate: 0.25, latencyMs: 300 }) });
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('name="errorRate" min="0" max="1" step="0.05" value="0.25"');
    expect(page).toContain('name="latencyMs" min="0" max="60000" step="50" value="300"');
    expect(page).toContain('name="quotaPerSecond" min="1"');
  });
});
