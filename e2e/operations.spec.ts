import { expect, test } from "@playwright/test";

const baseUrl = () => process.env.E2E_BASE_URL!;

test("an event sent with the API key becomes a usage record and, once its window closes, an invoice in the ERP sandbox", async ({ page, request }) => {
  await page.goto(baseUrl());
  const keyText = page.getByRole("region", { name: "Send events" }).getByTestId("api-key");
  await expect(keyText).toHaveText(/^mf_/);
  const key = (await keyText.textContent())!;
  const response = await request.post(`${baseUrl()}v1/events`, {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/cloudevents+json" },
    data: JSON.stringify({ specversion: "1.0", id: "ops-1", source: "/e2e-ops", type: "com.meterflow.api.call", time: "2026-09-10T10:00:00Z", data: { tenantId: "globex", productCode: "api-calls", calls: 345_678 } }),
  });
  expect(response.status()).toBe(200);

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
  const events = page.getByRole("region", { name: "Recent events" });
  await expect(events.getByRole("row", { name: /ops-1 globex .* validated/ })).toBeVisible();
  await expect(page.getByRole("region", { name: "Usage records" }).getByRole("row", { name: "globex api_calls 345678 2026-09" })).toBeVisible();

  // September closed long ago: the scheduler closes it within seconds, or the operator does now.
  const postings = page.getByRole("region", { name: "Postings to the ERP" });
  if (!(await postings.getByRole("cell", { name: "posted" }).first().isVisible())) {
    await page.getByRole("button", { name: "Close due windows" }).click();
  }
  await expect(postings.getByRole("row", { name: /createInvoice posted 1 INV-/ }).first()).toBeVisible({ timeout: 15_000 });
  // Trace the invoice back to its window, price list, event and flow version.
  await postings.getByRole("button", { name: /^Trace INV-/ }).first().click();
  const lineage = page.getByRole("region", { name: "Posting lineage" });
  await expect(lineage).toContainText("globex · api_calls · 2026-09");
  await expect(lineage).toContainText("priced with api-calls-standard@1/global");
  await expect(lineage).toContainText("/e2e-ops ops-1");
  await expect(lineage).toContainText("made by flow version v1");
  await page.screenshot({ path: "artifacts/screens/operations.png", fullPage: true });

  await page.goto(`${baseUrl()}erp/`);
  // 345,678 calls: 100,000 included, 245,678 at 0.0010 EUR.
  await expect(page.getByRole("table", { name: "Invoices" }).getByRole("row", { name: /ERP-1002 245\.68 EUR/ })).toBeVisible();
  await page.screenshot({ path: "artifacts/screens/erp-sandbox.png" });
});
