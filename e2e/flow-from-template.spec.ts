import { expect, test, type Locator } from "@playwright/test";

const baseUrl = () => process.env.E2E_BASE_URL!;

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
  for (const title of ["API call events", "Validate api_call@1", "Drop repeats", "To usage record", "Per contract and month", "ERP invoice lines"]) {
    await expect(page.locator(".flow-node-title", { hasText: title })).toBeVisible();
  }
  await expect(page.locator(".react-flow__edge")).toHaveCount(14);
  await expect(page.getByRole("status")).toHaveText("Saved (revision 1)");
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
});
