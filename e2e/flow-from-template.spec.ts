import { expect, test, type Locator } from "@playwright/test";
import { baseUrl, suiteMonth } from "./suite";

async function transformOf(node: Locator): Promise<string> {
  return node.evaluate((element) => (element as HTMLElement).style.transform);
}

test("create a flow from the template, move a node, save, reload: it stays where it was left", async ({ page }) => {
  await page.goto(baseUrl());
  await expect(page.getByRole("heading", { name: "Flows" })).toBeVisible();
  // First start seeded the template flow.
  await expect(page.getByRole("link", { name: "Metered API billing" })).toBeVisible();
  await page.screenshot({ path: "artifacts/screens/flow-list.png" });

  await page.getByRole("button", { name: "New flow from template" }).click();
  await expect(page.getByRole("dialog", { name: "Start from a template" })).toBeVisible();
  await page.screenshot({ path: "artifacts/screens/template-picker.png" });
  await page.getByRole("button", { name: "Use “Metered API billing”" }).click();
  await expect(page).toHaveURL(/\/flows\/[0-9a-f-]{36}$/);

  const canvasNodes = page.locator(".react-flow__node");
  await expect(canvasNodes).toHaveCount(10);
  for (const title of [
    "API call events",
    "Validate api_call@1",
    "Drop repeats",
    "To usage record",
    "Per contract and month",
    "ERP invoice lines",
  ]) {
    await expect(page.locator(".flow-node-title", { hasText: title })).toBeVisible();
  }
  await expect(page.locator(".react-flow__edge")).toHaveCount(14);
  await expect(page.getByRole("status")).toHaveText("Saved (revision 1)");
  await page
    .getByRole("group", { name: "Side panel" })
    .getByRole("button", { name: /^Problems/ })
    .click();
  await expect(page.getByRole("region", { name: "Problems" })).toContainText("No problems");
  await page.screenshot({ path: "artifacts/screens/canvas.png" });

  const dedupe = page.locator('.react-flow__node[data-id="dedupe"]');
  const before = await transformOf(dedupe);
  const box = (await dedupe.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + 150, { steps: 12 });
  await page.mouse.up();
  const after = await transformOf(dedupe);
  expect(after).not.toBe(before);
  await expect(page.getByRole("status")).toHaveText("Unsaved changes");

  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved (revision 2)");

  await page.reload();
  await expect(page.locator('.react-flow__node[data-id="dedupe"]')).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("Saved (revision 2)");
  expect(await transformOf(page.locator('.react-flow__node[data-id="dedupe"]'))).toBe(after);

  // Auto-layout moves the nodes and then shows all of them.
  await page.getByRole("button", { name: "Auto-layout" }).click();
  await expect(page.getByRole("status")).toHaveText("Unsaved changes");
  const pane = (await page.locator(".react-flow").boundingBox())!;
  await expect
    .poll(async () => {
      const boxes = await Promise.all((await canvasNodes.all()).map((node) => node.boundingBox()));
      return boxes.filter(
        (box) =>
          !box ||
          box.x < pane.x ||
          box.y < pane.y ||
          box.x + box.width > pane.x + pane.width ||
          box.y + box.height > pane.y + pane.height,
      ).length;
    })
    .toBe(0);
});

test("test-run the template flow on its sample events and read the outcome on the canvas", async ({ page }) => {
  await page.goto(baseUrl());
  await page.getByRole("link", { name: "Metered API billing" }).first().click();
  await expect(page.locator(".react-flow__node")).toHaveCount(10);

  await page.getByRole("button", { name: "Test run" }).click();
  const panel = page.getByRole("region", { name: "Test run" });
  await expect(panel.getByLabel("Sample events (CloudEvents JSON array)")).toHaveValue(/evt-1001/);
  await panel.getByRole("button", { name: "Run test" }).click();

  await expect(panel.getByRole("status")).toHaveText("3 validated · 1 duplicate · 2 exceptions");
  await expect(panel).toContainText("unmatched_account");
  await expect(panel).toContainText('No account for data.tenantId = "umbrella"');
  await expect(panel).toContainText("Held for approval (1)");
  await expect(panel).toContainText('"customer": "ERP-1001"');
  await expect(page.locator('.react-flow__node[data-id="validate"] .badge-run')).toHaveText("6 in");
  await expect(page.locator(".react-flow__edge-text").first()).toBeVisible();

  // What entered and left a node: a table of the items, or their JSON.
  await page.locator('.react-flow__node[data-id="map"]').click();
  const items = panel.getByRole("region", { name: "Items at map" });
  await expect(items).toContainText("map: 3 in");
  await expect(items.getByRole("columnheader", { name: "ratingPeriod" })).toBeVisible();
  await items.getByRole("button", { name: "JSON" }).click();
  await expect(items).toContainText('erpAccount: "ERP-1001"');
  await page.screenshot({ path: "artifacts/screens/test-run.png" });
});

test("find the API key in the designer and send a first CloudEvent with it", async ({ page, request }) => {
  await page.goto(baseUrl());
  const card = page.getByRole("region", { name: "Send events" });
  await expect(card.getByTestId("api-key")).toHaveText(/^mf_/);
  const key = (await card.getByTestId("api-key").textContent())!;
  await expect(card.locator("pre")).toContainText(`Authorization: Bearer ${key}`);
  // Copied whole, ready to paste in a terminal.
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await card.getByRole("button", { name: "Copy request" }).click();
  await expect(card).toContainText("Copied: paste it in a terminal.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await card.locator("pre").textContent());
  await expect(card.getByRole("status")).toHaveText(/^Events stored so far: \d+$/);
  const before = Number((await card.getByRole("status").textContent())!.replace(/\D/g, ""));

  // In the suite's month: an event of a fixed month would, once that month is over, be invoiced
  // during the suite, and the Operations journey after this one expects the only invoice to be its own.
  const response = await request.post(`${baseUrl()}v1/events`, {
    headers: { authorization: `Bearer ${key}`, "content-type": "application/cloudevents+json" },
    data: JSON.stringify({
      specversion: "1.0",
      id: "e2e-1",
      source: "/e2e",
      type: "com.meterflow.api.call",
      time: `${suiteMonth()}-01T00:05:00Z`,
      data: { tenantId: "acme", productCode: "api-calls", calls: 5 },
    }),
  });
  expect(response.status()).toBe(200);
  expect(await response.json()).toMatchObject({ stored: 1, results: [{ status: "stored" }] });

  await page.reload();
  await expect(card.getByRole("status")).toHaveText(`Events stored so far: ${before + 1}`);
  await page.screenshot({ path: "artifacts/screens/send-events.png" });
});
