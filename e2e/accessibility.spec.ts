import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { baseUrl } from "./suite";

/** Serious and critical axe-core violations, described well enough to fix from the test report. */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes
          .map((node) => node.target.join(" "))
          .slice(0, 5)
          .join(", ")})`,
    );
}

test("the flow list, canvas, inspector, operations, reference data and audit log pages have no serious accessibility violations", async ({
  page,
}) => {
  await page.goto(baseUrl());
  await expect(page.getByRole("link", { name: "Metered API billing" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole("link", { name: "Metered API billing" }).click();
  await expect(page.locator(".react-flow__node")).toHaveCount(10);
  expect(await seriousViolations(page)).toEqual([]);

  await page.locator('.react-flow__node[data-id="map"]').click();
  await expect(page.getByRole("region", { name: "Inspector" })).toContainText("Map");
  expect(await seriousViolations(page)).toEqual([]);

  // An expression field opens in the JSONata editor (Monaco).
  await page.locator('.react-flow__node[data-id="dedupe"]').click();
  await expect(page.getByTestId("expression-editor-key · expression").locator(".monaco-editor")).toBeVisible();
  await expect(page.getByTestId("expression-editor-key · expression")).toContainText('source & "/" & id');
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole("link", { name: "Operations" }).click();
  await expect(page.getByRole("heading", { name: "Operations" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole("link", { name: "Reference data" }).click();
  await expect(page.getByRole("region", { name: "Accounts" }).getByRole("row", { name: /^acme / })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await expect(page.getByRole("row").nth(1)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});
