import { expect, test } from "@playwright/test";
import { apiKeyFromFlowsPage, baseUrl, monthAfterSuiteMonth, sendEvents, suiteMonth } from "./suite";

test("an event sent with the API key becomes a usage record and, once its window closes, an invoice in the ERP sandbox", async ({
  page,
  request,
}) => {
  const key = await apiKeyFromFlowsPage(page);
  await sendEvents(request, key, {
    specversion: "1.0",
    id: "ops-1",
    source: "/e2e-ops",
    type: "com.meterflow.api.call",
    time: "2026-09-10T10:00:00Z",
    data: { tenantId: "globex", productCode: "api-calls", calls: 345_678 },
  });

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
  const events = page.getByRole("region", { name: "Recent events" });
  await expect(events.getByRole("row", { name: /ops-1 globex .* validated/ })).toBeVisible();
  // Throughput, once two polls of the totals are apart.
  await expect(page.getByRole("status").filter({ hasText: /events? stored/ })).toContainText(
    /[\d.,]+ events\/s in, [\d.,]+ processed/,
    { timeout: 10_000 },
  );
  // Found again by its id alone, with the envelope as sent.
  await events.getByRole("searchbox", { name: "Find an event by its id" }).fill("ops-1");
  const found = events.getByRole("row", { name: /^ops-1 globex .* validated$/ });
  await expect(found).toBeVisible();
  await found.getByText("as sent").click();
  await expect(found.locator("pre")).toContainText('"calls": 345678');
  await events.getByRole("searchbox", { name: "Find an event by its id" }).fill("no-such-event");
  await expect(events).toContainText('No event with the id "no-such-event".');
  await events.getByRole("searchbox", { name: "Find an event by its id" }).fill("");
  const record = page
    .getByRole("region", { name: "Usage records" })
    .getByRole("row", { name: "globex api_calls 345678 2026-09" });
  await expect(record).toBeVisible();
  // The record as the flow's Map node made it, with what only its payload holds.
  await record.getByText("as made").click();
  await expect(record.locator("pre")).toContainText('"erpAccount": "ERP-1002"');
  await expect(record.locator("pre")).toContainText('"mappingRef": "UsageRecord@1"');

  // September closed long ago: the scheduler closes it within seconds, or the operator does now.
  const postings = page.getByRole("region", { name: "Postings to the ERP" });
  if (!(await postings.getByRole("cell", { name: "posted" }).first().isVisible())) {
    await page.getByRole("button", { name: "Close due windows" }).click();
  }
  await expect(postings.getByRole("row", { name: /createInvoice posted 1 – INV-/ }).first()).toBeVisible({
    timeout: 15_000,
  });
  // Trace the invoice back to its window, price list, event and flow version.
  await postings
    .getByRole("button", { name: /^Trace INV-/ })
    .first()
    .click();
  const lineage = page.getByRole("region", { name: "Posting lineage" });
  await expect(lineage).toContainText("globex · api_calls · 2026-09");
  await expect(lineage).toContainText("priced with api-calls-standard@1/global");
  await expect(lineage).toContainText("/e2e-ops ops-1");
  await expect(lineage).toContainText("made by flow version v1");
  await page.screenshot({ path: "artifacts/screens/operations.png", fullPage: true });

  await page.goto(`${baseUrl()}erp/`);
  // 345,678 calls: 100,000 included, 245,678 at 0.0010 EUR.
  await expect(
    page.getByRole("table", { name: "Invoices" }).getByRole("row", { name: /ERP-1002 245\.68 EUR/ }),
  ).toBeVisible();
  await page.screenshot({ path: "artifacts/screens/erp-sandbox.png" });
});

test("a change deployed in the middle of a month carries on its open window: one invoice for the whole month", async ({
  page,
  request,
}) => {
  const month = suiteMonth();
  const key = await apiKeyFromFlowsPage(page);
  const send = (id: string, day: string) =>
    sendEvents(request, key, {
      specversion: "1.0",
      id,
      source: "/e2e-deploy",
      type: "com.meterflow.api.call",
      time: `${month}-${day}T00:10:00Z`,
      data: { tenantId: "initech", productCode: "api-calls", calls: 60_000 },
    });
  await send("mid-1", "01");
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
  await expect(
    page.getByRole("region", { name: "Usage records" }).getByRole("row", { name: `initech api_calls 60000 ${month}` }),
  ).toBeVisible();

  // The deployed flow (the one published as v1): move a node, save, publish v2 and deploy it.
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Flows" }).click();
  await page
    .getByRole("row")
    .filter({ has: page.getByRole("cell", { name: "v1", exact: true }) })
    .getByRole("link", { name: "Metered API billing" })
    .click();
  const dedupe = page.locator('.react-flow__node[data-id="dedupe"]');
  const box = (await dedupe.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + 120, { steps: 8 });
  await page.mouse.up();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Saved \(revision \d+\)$/ })).toBeVisible();
  await page.getByLabel("Changelog for the new version").fill("Tidy the layout");
  await page.getByRole("button", { name: "Publish version" }).click();
  await page.getByRole("button", { name: "Deploy v2" }).click();
  await expect(page.getByTestId("deploy-notice")).toContainText(
    /^Deployed\. It carries on \d+ open windows? of the flow's earlier versions\. dedupe still drops repeats of events they let through\./,
  );
  await expect(page.getByTestId("deployment-state")).toContainText("running v2");
  await page.screenshot({ path: "artifacts/screens/deploy-notice.png" });
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Flows" }).click();
  const deployed = page.getByRole("row").filter({ has: page.getByRole("cell", { name: "v2", exact: true }) });
  await expect(deployed.getByRole("cell").nth(3)).toHaveText("v2"); // published v2, running v2

  await send("mid-2", "02");
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
  const windows = page.getByRole("region", { name: "Open windows" });
  const openWindow = windows.getByRole("row", {
    name: new RegExp(`^initech ${month}-01 2 120000 .* Metered API billing v2$`),
  });
  await expect(openWindow).toBeVisible();
  // Billing the month early asks first; cancelled, nothing closes.
  const dialogs: string[] = [];
  page.once("dialog", (dialog) => void (dialogs.push(dialog.message()), dialog.dismiss()));
  await windows.getByRole("button", { name: "Close all open windows now" }).click();
  expect(dialogs).toEqual([expect.stringContaining("Their periods are billed now")]);
  await page.waitForTimeout(3_500); // a refresh of the page
  await expect(openWindow).toBeVisible();
  page.once("dialog", (dialog) => void dialog.accept());
  await windows.getByRole("button", { name: "Close all open windows now" }).click();

  // 120,000 calls, 100,000 included once, 20,000 at 0.0010 EUR: one invoice for the month.
  const initechInvoices = async () =>
    (
      (await (await request.get(`${baseUrl()}erp/invoices`)).json()) as {
        invoices: { customer: string; total: string }[];
      }
    ).invoices
      .filter((invoice) => invoice.customer === "ERP-1003")
      .map((invoice) => invoice.total);
  await expect.poll(initechInvoices, { timeout: 15_000 }).toEqual(["20.00"]);
});

test("reconcile the months, replay one through the running version: no differences, and a backfill posts nothing again", async ({
  page,
}) => {
  const month = suiteMonth();
  await page.goto(`${baseUrl()}operations`);
  const reconciliation = page.getByRole("region", { name: "Reconciliation" });
  await reconciliation.getByLabel("Tenant").fill("initech");
  await reconciliation.getByRole("button", { name: "Reconcile" }).click();
  // The month the previous journey billed: two events, two records, one closed window, one line posted and in the ERP.
  await expect(
    reconciliation.getByRole("row", {
      name: `initech api_calls ${month} 2 (2) 2 · 120000 2 · 120000 (0/1) 1 line · 20.00 EUR 1 line · 20.00 EUR`,
    }),
  ).toBeVisible();
  await expect(reconciliation.getByRole("status")).toHaveText(
    "No differences: every event is accounted for from ingestion to the ERP.",
  );

  const replay = page.getByRole("region", { name: "Replay" });
  // By default the flow the runtime runs, at the version it runs.
  await expect(replay.getByLabel("Flow").locator("option:checked")).toHaveText("Metered API billing");
  await expect(replay.getByLabel("Version").locator("option:checked")).toHaveText("v2");
  await replay.getByLabel("Tenant").fill("initech");
  await replay.getByLabel("From month").fill(month);
  await replay.getByRole("button", { name: "Replay" }).click();
  const result = replay.getByRole("status", { name: "Replay result" });
  // The month is not over, so the replay does not close its window; the operator closed it early.
  await expect(result).toContainText(
    "Dry run of 2 events: 2 validated, 0 duplicates, 0 exceptions; 0 windows summarised, 0 postings.",
  );
  await expect(result).toContainText("1 window was summarised before (v2).");
  await expect(result).toContainText("No differences from what was produced.");

  await replay.getByRole("radio", { name: /^Backfill/ }).check();
  await replay.getByRole("button", { name: "Replay" }).click();
  await expect(result).toContainText("Stored 0 records, 0 summaries and 0 postings.");
  await expect(result).toContainText("1 window was summarised before (v2): not summarised or posted again.");
  await page.screenshot({ path: "artifacts/screens/reconcile-and-replay.png", fullPage: true });
});

test("the Operations page and the designer's panels scroll in their own panes: the window itself never scrolls the app away", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 600 });
  const windowScrolls = () => page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
  await page.goto(`${baseUrl()}operations`);
  const replay = page.getByRole("region", { name: "Replay" });
  await expect(replay.getByRole("button", { name: "Replay" })).toBeAttached();
  // Taller than the window: the page's pane scrolls. Hidden labels positioned outside it made the
  // window scroll too, past the app's end into an empty page.
  expect(await windowScrolls()).toBeLessThanOrEqual(0);
  await replay.getByRole("button", { name: "Replay" }).scrollIntoViewIfNeeded();
  await expect(replay.getByRole("button", { name: "Replay" })).toBeInViewport();
  await expect(page.getByRole("navigation", { name: "Sections" })).toBeInViewport();

  // The designer with a test run's results beside the canvas.
  await page.goto(baseUrl());
  await page.getByRole("link", { name: "Metered API billing" }).first().click();
  await page.getByRole("button", { name: "Test run" }).click();
  const panel = page.getByRole("region", { name: "Test run" });
  await panel.getByRole("button", { name: "Run test" }).click();
  await expect(panel.getByRole("status")).toContainText("validated");
  await page.locator('.react-flow__node[data-id="map"]').click();
  await expect(panel.getByRole("region", { name: "Items at map" })).toBeVisible();
  expect(await windowScrolls()).toBeLessThanOrEqual(0);
});

test("an operator resolves exceptions from the queue, saying why beside the button", async ({ page, request }) => {
  const key = await apiKeyFromFlowsPage(page);
  await sendEvents(
    request,
    key,
    [1, 2, 3].map((i) => ({
      specversion: "1.0",
      id: `exc-${i}`,
      source: "/e2e-exc",
      type: "com.meterflow.api.call",
      time: "2026-08-10T10:00:00Z",
      data: { tenantId: "e2e-unknown", productCode: "api-calls", calls: 1 },
    })),
  );

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
  const queue = page.getByRole("region", { name: "Open exceptions" });
  const raised = queue.getByRole("row", {
    name: /unmatched_account e2e-unknown \/e2e-exc#exc-\d No account for data\.tenantId = "e2e-unknown" enrich/,
  });
  await expect(raised).toHaveCount(3);
  for (const i of [1, 2, 3])
    await queue.getByRole("checkbox", { name: `Select exception unmatched_account /e2e-exc#exc-${i}` }).check();
  await expect(queue.getByRole("button", { name: "Retry selected (3)" })).toBeEnabled();
  const resolve = queue.getByRole("button", { name: "Resolve selected" });
  await expect(resolve).toBeDisabled(); // not without a reason
  await queue.getByRole("textbox", { name: "Why resolved" }).fill("Test tenant of the e2e suite: nothing to bill");
  await resolve.click();
  await expect(raised).toHaveCount(0);
  await expect(queue.getByRole("button", { name: "Retry selected (0)" })).toBeDisabled();

  // Each resolution is in the audit log, with who resolved it and why.
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Audit log" }).click();
  const log = page.getByRole("region", { name: "Audit log" });
  await log.getByLabel("Show").selectOption({ label: "Exceptions" });
  await expect(
    log.getByRole("row", {
      name: /Local engineer exception\.resolved exception .* “Test tenant of the e2e suite: nothing to bill”/,
    }),
  ).toHaveCount(3);
});

test("finance approves a held invoice with a reason, and it is posted to the ERP", async ({ page, request }) => {
  // Next month's: the journeys before closed acme's earlier months (a later event for them is late).
  const month = monthAfterSuiteMonth();
  const key = await apiKeyFromFlowsPage(page);
  // 7,000,000 calls: 6,900,000 billable, 1,000 EUR for the first million and 4,720 for the rest,
  // above the 5,000 EUR the flow holds for finance; the operator closes the month early.
  await sendEvents(request, key, {
    specversion: "1.0",
    id: "big-1",
    source: "/e2e-approval",
    type: "com.meterflow.api.call",
    time: `${month}-01T00:20:00Z`,
    data: { tenantId: "acme", productCode: "api-calls", calls: 7_000_000 },
  });

  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
  await expect(
    page.getByRole("region", { name: "Recent events" }).getByRole("row", { name: /big-1 acme .* validated/ }),
  ).toBeVisible();
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Close all open windows now" }).click();
  const approvals = page.getByRole("region", { name: "Approvals waiting" });
  const held = approvals.getByRole("row", { name: new RegExp(`^acme ${month} 5720\\.00 EUR finance`) });
  await expect(held).toBeVisible({ timeout: 15_000 });
  await expect(held.getByRole("button", { name: "Approve" })).toBeDisabled(); // not without a reason
  await approvals
    .getByRole("textbox", { name: "Why (recorded with the decision)" })
    .fill("Checked with the account manager");
  await held.getByRole("button", { name: "Approve" }).click();
  await expect(held).toHaveCount(0);
  await page.goto(`${baseUrl()}erp/`);
  await expect(
    page.getByRole("table", { name: "Invoices" }).getByRole("row", { name: /ERP-1001 5720\.00 EUR/ }),
  ).toBeVisible({ timeout: 15_000 });
});

test("the ERP sandbox page switches its faults for a demo, refuses a bad setting, and turns them off", async ({
  page,
  request,
}) => {
  await page.goto(`${baseUrl()}erp/`);
  const faults = page.getByRole("form", { name: "Faults" });
  const status = page.locator("#fault-status");
  await faults.getByLabel("Error rate (500, nothing stored)").fill("0.5");
  await faults.getByLabel("Latency (ms)").fill("200");
  await faults.getByRole("button", { name: "Apply" }).click();
  await expect(status).toHaveText("Applied.");
  expect(await (await request.get(`${baseUrl()}erp/faults`)).json()).toMatchObject({ errorRate: 0.5, latencyMs: 200 });

  // A rate above 1 is refused by the form itself (the sandbox would answer 422 naming the field).
  const timeoutRate = faults.getByLabel("Timeout rate (no answer)");
  await timeoutRate.fill("3");
  await faults.getByRole("button", { name: "Apply" }).click();
  expect(await timeoutRate.evaluate((input: HTMLInputElement) => input.validity.rangeOverflow)).toBe(true);
  expect(await (await request.get(`${baseUrl()}erp/faults`)).json()).toMatchObject({ timeoutRate: 0 });
  const refused = await request.put(`${baseUrl()}erp/faults`, { data: { timeoutRate: 3 } });
  expect(refused.status()).toBe(422);
  expect((await refused.json()).error).toMatch(/^timeoutRate: /);

  await faults.getByRole("button", { name: "No faults" }).click();
  await expect(status).toHaveText("Applied.");
  expect(await (await request.get(`${baseUrl()}erp/faults`)).json()).toMatchObject({
    errorRate: 0,
    latencyMs: 0,
    timeoutRate: 0,
    dropAfterCommitRate: 0,
  });
});
