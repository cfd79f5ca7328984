import { expect, test } from "@playwright/test";
import { apiKeyFromFlowsPage, sendEvents, suiteMonth } from "./suite";

test("an event of a tenant missing from the reference data: add its account and contract on the page, retry the exception, and it becomes a usage record", async ({
  page,
  request,
}) => {
  const key = await apiKeyFromFlowsPage(page);
  const month = suiteMonth();
  await sendEvents(request, key, {
    specversion: "1.0",
    id: "newco-1",
    source: "/e2e-ref",
    type: "com.meterflow.api.call",
    time: `${month}-01T00:30:00Z`,
    data: { tenantId: "e2e-newco", productCode: "api-calls", calls: 4321 },
  });

  const sections = page.getByRole("navigation", { name: "Sections" });
  await sections.getByRole("link", { name: "Operations" }).click();
  const queue = page.getByRole("region", { name: "Open exceptions" });
  const missing = queue.getByRole("row", { name: /unmatched_account e2e-newco \/e2e-ref#newco-1/ });
  await expect(missing).toBeVisible();

  await sections.getByRole("link", { name: "Reference data" }).click();
  const accountForm = page.getByRole("form", { name: "Save an account" });
  await accountForm.getByLabel("Tenant").fill("e2e-newco");
  await accountForm.getByRole("button", { name: "Save account" }).click();
  await expect(page.getByRole("region", { name: "Accounts" }).getByRole("alert")).toContainText(
    "Give the tenant's ERP account",
  );
  await accountForm.getByLabel("Name").fill("NewCo");
  await accountForm.getByLabel("ERP account").fill("ERP-1003");
  await accountForm.getByRole("button", { name: "Save account" }).click();
  await expect(page.getByRole("region", { name: "Accounts" }).getByRole("status")).toHaveText(
    "Saved account e2e-newco.",
  );
  await expect(
    page.getByRole("region", { name: "Accounts" }).getByRole("row", { name: /^e2e-newco NewCo ERP-1003/ }),
  ).toBeVisible();

  const contractForm = page.getByRole("form", { name: "Save a contract" });
  await contractForm.getByLabel("Contract").fill("C-E2E-NEWCO");
  await contractForm.getByLabel("Tenant").fill("e2e-newco");
  await contractForm.getByLabel("Price list").selectOption("api-calls-standard");
  await contractForm.getByLabel("From").fill("2026-01-01");
  await contractForm.getByRole("button", { name: "Save contract" }).click();
  await expect(page.getByRole("region", { name: "Contracts" }).getByRole("status")).toHaveText(
    "Saved contract C-E2E-NEWCO.",
  );

  await sections.getByRole("link", { name: "Operations" }).click();
  // Every open exception of the tenant, retried at once.
  await queue.getByLabel("Tenant").fill("e2e-newco");
  await expect(queue.getByRole("row")).toHaveCount(2); // the header and its one exception
  await queue.getByRole("button", { name: "Retry all matching" }).click();
  await expect(queue.getByRole("status")).toHaveText("Retried 1: 1 resolved, 0 still failing.");
  await expect(missing).toHaveCount(0);
  await expect(
    page.getByRole("region", { name: "Usage records" }).getByRole("row", { name: `e2e-newco api_calls 4321 ${month}` }),
  ).toBeVisible();

  // A contract entered by mistake is removed, after a confirmation.
  await sections.getByRole("link", { name: "Reference data" }).click();
  const contractRow = page
    .getByRole("region", { name: "Contracts" })
    .getByRole("row", { name: /^C-E2E-NEWCO e2e-newco/ });
  await expect(contractRow).toBeVisible();
  page.once("dialog", (dialog) => void dialog.accept());
  await contractRow.getByRole("button", { name: "Remove contract C-E2E-NEWCO" }).click();
  await expect(contractRow).toHaveCount(0);
});
