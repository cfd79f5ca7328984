import { expect, test, type Page } from "@playwright/test";
import { baseUrl } from "./suite";

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const handle = (page: Page, id: string, kind: "source" | "target", port: string) =>
  node(page, id).locator(`.react-flow__handle.${kind}[data-handleid="${port}"]`);

test("map fields by dragging source fields onto targets and by typing an expression with completion, then read the mapped values of a test run", async ({
  page,
}) => {
  await page.goto(baseUrl());
  await page.getByRole("button", { name: "New empty flow" }).click();
  const canvas = page.getByTestId("canvas");
  const palette = page.getByRole("region", { name: "Node palette" });
  await palette
    .getByRole("button", { name: "Add Source: Events node" })
    .dragTo(canvas, { targetPosition: { x: 60, y: 80 } });
  await palette
    .getByRole("button", { name: "Add Validate node" })
    .dragTo(canvas, { targetPosition: { x: 320, y: 80 } });
  await palette.getByRole("button", { name: "Add Map node" }).dragTo(canvas, { targetPosition: { x: 580, y: 80 } });
  await handle(page, "source-events-1", "source", "out").dragTo(handle(page, "validate-1", "target", "in"));
  await handle(page, "validate-1", "source", "valid").dragTo(handle(page, "map-1", "target", "in"));
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);

  const inspector = page.getByRole("region", { name: "Inspector" });

  // The mapper: the Validate node's data fields on the left, UsageRecord@1 on the right.
  await node(page, "map-1").click();
  const sources = inspector.getByRole("list", { name: "Source fields" });
  const targets = inspector.getByRole("list", { name: "Target fields" });
  await expect(targets.getByRole("button", { name: "Target metric (required, unmapped)" })).toBeVisible();
  await sources
    .getByRole("button", { name: "data.productCode" })
    .dragTo(targets.getByRole("button", { name: /^Target productCode/ }));
  await sources
    .getByRole("button", { name: "data.calls" })
    .dragTo(targets.getByRole("button", { name: /^Target quantity/ }));
  await sources
    .getByRole("button", { name: "data.region" })
    .dragTo(targets.getByRole("button", { name: /^Target contractId/ }));
  await expect(inspector.getByRole("button", { name: "Edit expression of productCode" })).toHaveText(
    "data.productCode",
  );
  await expect(inspector.getByRole("button", { name: "Edit expression of quantity" })).toHaveText("data.calls");
  // Each mapping straight from a source field (the default tenantId one too) is drawn as a line to its target.
  await expect(inspector.locator(".mapper-lines path")).toHaveCount(4);

  // Type ratingPeriod in the JSONata editor (Monaco, loaded now), completing a function and a field.
  await inspector.getByRole("button", { name: "Write an expression for ratingPeriod" }).click();
  const editor = inspector.getByTestId("expression-editor-ratingPeriod");
  await expect(editor.locator(".monaco-editor")).toBeVisible();
  await editor.click();
  await page.keyboard.press("Control+a");
  await page.keyboard.type("$subs");
  await expect(page.locator(".suggest-widget")).toContainText("$substring");
  await page.keyboard.press("Enter");
  await page.keyboard.type("ti");
  await expect(page.locator(".suggest-widget")).toContainText("time");
  await page.keyboard.press("Enter");
  await page.keyboard.type(", 0, 7");
  await page.keyboard.press("Control+Enter");
  await expect(editor).toContainText("$substring(time, 0, 7)");
  await expect(page.getByRole("status").filter({ hasText: /^Saved \(revision \d+\)$/ })).toBeVisible({
    timeout: 10_000,
  });

  // A test run on a generated event; the mapper previews each field for the event the Map node received.
  await page.getByRole("group", { name: "Side panel" }).getByRole("button", { name: "Test run" }).click();
  const panel = page.getByRole("region", { name: "Test run" });
  await panel.getByRole("button", { name: "Generate from the event schema" }).click();
  await panel.getByRole("button", { name: "Run test" }).click();
  await expect(panel.getByRole("status")).toContainText("1 validated");
  await page.getByRole("group", { name: "Side panel" }).getByRole("button", { name: "Inspector" }).click();
  await expect(inspector.getByRole("status", { name: "Preview of productCode" })).toHaveText('"api-calls"');
  await expect(inspector.getByRole("status", { name: "Preview of quantity" })).toHaveText("1");
  await expect(inspector.getByRole("status", { name: "Preview of ratingPeriod" })).toHaveText(/^"\d{4}-\d{2}"$/);
  await page.screenshot({ path: "artifacts/screens/mapper.png" });
});
