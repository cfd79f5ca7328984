import { expect, test, type Page } from "@playwright/test";
import { baseUrl } from "./suite";

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const handle = (page: Page, id: string, kind: "source" | "target", port: string) =>
  node(page, id).locator(`.react-flow__handle.${kind}[data-handleid="${port}"]`);

test("build a flow on an empty canvas with the palette, connect and configure it, undo and redo, and save", async ({
  page,
}) => {
  await page.goto(baseUrl());
  await page.getByRole("button", { name: "New empty flow" }).click();
  await expect(page).toHaveURL(/\/flows\/[0-9a-f-]{36}$/);
  const canvas = page.getByTestId("canvas");
  await expect(canvas).toBeVisible();

  // Drag three nodes from the palette to their places; click a fourth (it lands at the pointer).
  const palette = page.getByRole("region", { name: "Node palette" });
  await palette.getByRole("searchbox", { name: "Search nodes" }).fill("source");
  await palette
    .getByRole("button", { name: "Add Source: Events node" })
    .dragTo(canvas, { targetPosition: { x: 60, y: 60 } });
  await palette.getByRole("searchbox", { name: "Search nodes" }).fill("");
  await palette
    .getByRole("button", { name: "Add Validate node" })
    .dragTo(canvas, { targetPosition: { x: 330, y: 60 } });
  await palette
    .getByRole("button", { name: "Add Exception node" })
    .dragTo(canvas, { targetPosition: { x: 600, y: 60 } });
  await canvas.hover({ position: { x: 600, y: 300 } });
  await palette.getByRole("button", { name: "Add Rate node" }).click();
  await expect(page.locator(".react-flow__node")).toHaveCount(4);

  // Connect output ports to input ports by dragging; a mismatched pair is refused with the reason.
  await handle(page, "source-events-1", "source", "out").dragTo(handle(page, "validate-1", "target", "in"));
  await handle(page, "validate-1", "source", "invalid").dragTo(handle(page, "exception-1", "target", "in"));
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  await handle(page, "validate-1", "source", "valid").dragTo(handle(page, "rate-1", "target", "in"));
  await expect(page.getByRole("status").filter({ hasText: "Cannot connect" })).toContainText("carries event items");
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);

  // Configure the Validate node in the inspector.
  await node(page, "validate-1").click();
  const inspector = page.getByRole("region", { name: "Inspector" });
  const schema = inspector.getByRole("textbox", { name: "schema" });
  await expect(schema).toHaveValue("usage.api_call@1");
  await schema.fill("usage.storage@1");
  await schema.press("Enter");
  await expect(node(page, "validate-1")).toBeVisible();

  // Undo the change, then redo it, with the keyboard (focus on the canvas, not a field).
  await canvas.click({ position: { x: 40, y: 400 } });
  await page.keyboard.press("Control+z");
  await node(page, "validate-1").click();
  await expect(inspector.getByRole("textbox", { name: "schema" })).toHaveValue("usage.api_call@1");
  await canvas.click({ position: { x: 40, y: 400 } });
  await page.keyboard.press("Control+Shift+z");
  await node(page, "validate-1").click();
  await expect(inspector.getByRole("textbox", { name: "schema" })).toHaveValue("usage.storage@1");

  // Duplicate the Exception node with the keyboard, undo that, arrange the rest, and find the shortcut sheet.
  await node(page, "exception-1").click();
  await page.keyboard.press("Control+d");
  await expect(page.locator(".react-flow__node")).toHaveCount(5);
  await expect(node(page, "exception-2")).toBeVisible();
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(page.locator(".react-flow__node")).toHaveCount(4);
  await page.getByRole("button", { name: "Auto-layout" }).click();
  // Both measured in the same poll: the view is fitted to the laid-out flow, which moves every node on screen.
  await expect
    .poll(
      async () =>
        (await node(page, "validate-1").boundingBox())!.x - (await node(page, "source-events-1").boundingBox())!.x,
    )
    .toBeGreaterThan(150);
  await page.keyboard.press("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toContainText("Duplicate the selected nodes");
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeHidden();

  // Choosing a problem selects its node and puts the cursor in the field concerned.
  await node(page, "validate-1").click();
  await inspector.getByRole("textbox", { name: "schema" }).fill("not a reference");
  await inspector.getByRole("textbox", { name: "schema" }).press("Enter");
  await page
    .getByRole("group", { name: "Side panel" })
    .getByRole("button", { name: /^Problems/ })
    .click();
  await page
    .getByRole("region", { name: "Problems" })
    .getByRole("button", { name: /config\.schema/ })
    .first()
    .click();
  await expect(inspector.getByRole("textbox", { name: "schema" })).toBeFocused();
  await inspector.getByRole("textbox", { name: "schema" }).fill("usage.storage@1");
  await inspector.getByRole("textbox", { name: "schema" }).press("Enter");

  // Drafts save themselves; a reload shows the same flow.
  await expect(page.getByRole("status").filter({ hasText: /^Saved \(revision \d+\)$/ })).toBeVisible({
    timeout: 10_000,
  });
  await page.screenshot({ path: "artifacts/screens/build-flow.png" });
  await page.reload();
  await expect(page.locator(".react-flow__node")).toHaveCount(4);
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  await node(page, "validate-1").click();
  await expect(page.getByRole("region", { name: "Inspector" }).getByRole("textbox", { name: "schema" })).toHaveValue(
    "usage.storage@1",
  );
});
