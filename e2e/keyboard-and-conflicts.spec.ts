import { expect, test, type Page } from "@playwright/test";
import { baseUrl } from "./suite";

const nodes = (page: Page) => page.locator(".react-flow__node");

async function newEmptyFlow(page: Page): Promise<string> {
  await page.goto(baseUrl());
  await page.getByRole("button", { name: "New empty flow" }).click();
  await expect(page).toHaveURL(/\/flows\/[0-9a-f-]{36}$/);
  return page.url();
}

test("build and wire a flow with the keyboard alone", async ({ page }) => {
  await newEmptyFlow(page);
  const search = page.getByRole("searchbox", { name: "Search nodes" });
  for (const [query, entry] of [
    ["validate", "Add Validate node"],
    ["exception", "Add Exception node"],
  ]) {
    await search.focus();
    await search.fill(query!);
    await page.keyboard.press("Tab");
    await expect(page.getByRole("button", { name: entry })).toBeFocused();
    await page.keyboard.press("Enter");
  }
  await expect(nodes(page)).toHaveCount(2);

  // Tab to the Validate node and select it with Enter; the inspector connects its ports.
  await page.locator('.react-flow__node[data-id="validate-1"]').focus();
  await page.keyboard.press("Enter");
  const inspector = page.getByRole("region", { name: "Inspector" });
  await expect(inspector).toContainText("validate-1");
  await inspector.getByRole("combobox", { name: "Connect invalid to" }).selectOption({ label: "Exception → in" });
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await expect(inspector.getByRole("combobox", { name: "Connect invalid to" })).toHaveCount(0);
  await inspector.getByRole("button", { name: "Disconnect invalid from Exception" }).press("Enter");
  await expect(page.locator(".react-flow__edge")).toHaveCount(0);

  // Arrow keys move the selected node; Delete removes it; Ctrl+Z brings it back.
  await page.locator('.react-flow__node[data-id="validate-1"]').focus();
  const before = await page.locator('.react-flow__node[data-id="validate-1"]').boundingBox();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect
    .poll(async () => (await page.locator('.react-flow__node[data-id="validate-1"]').boundingBox())!.x)
    .toBeGreaterThan(before!.x);
  await page.keyboard.press("Delete");
  await expect(nodes(page)).toHaveCount(1);
  await page.keyboard.press("Control+z");
  await expect(nodes(page)).toHaveCount(2);
});

test("editing one draft in two tabs shows a conflict with a choice, never a silent overwrite", async ({
  page,
  context,
}) => {
  const url = await newEmptyFlow(page);
  const other = await context.newPage();
  await other.goto(url);
  await expect(other.getByRole("status").filter({ hasText: "Saved (revision 1)" })).toBeVisible();

  await page.getByRole("button", { name: "Add Validate node" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved (revision 2)" })).toBeVisible({ timeout: 10_000 });

  await other.getByRole("button", { name: "Add Exception node" }).click();
  const banner = other.getByRole("alert").filter({ hasText: "after you loaded revision 1" });
  await expect(banner).toBeVisible({ timeout: 10_000 });
  await expect(other.getByRole("status").filter({ hasText: "Not saved: changed elsewhere" })).toBeVisible();
  await other.screenshot({ path: "artifacts/screens/conflict.png" });

  // Load theirs: the other tab now shows the Validate node saved by the first one.
  await banner.getByRole("button", { name: "Load their version (discard my changes)" }).click();
  await expect(nodes(other)).toHaveCount(1);
  await expect(other.locator('.react-flow__node[data-id="validate-1"]')).toBeVisible();

  // Then a change of its own, saved over revision 2, and the first tab, now stale, chooses to keep its own.
  await other.getByRole("button", { name: "Add Exception node" }).click();
  await expect(other.getByRole("status").filter({ hasText: "Saved (revision 3)" })).toBeVisible({ timeout: 10_000 });
  await page.getByRole("button", { name: "Add Rate node" }).click();
  const stale = page.getByRole("alert").filter({ hasText: "after you loaded revision 2" });
  await expect(stale).toBeVisible({ timeout: 10_000 });
  await stale.getByRole("button", { name: "Keep mine (overwrite theirs)" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved (revision 4)" })).toBeVisible({ timeout: 10_000 });
  await other.reload();
  await expect(other.locator('.react-flow__node[data-id="rate-1"]')).toBeVisible();
  await expect(other.locator('.react-flow__node[data-id="exception-1"]')).toHaveCount(0);
});
