import { expect, type APIRequestContext, type Page } from "@playwright/test";

// What the journeys share: the server global-setup started, the suite's month, the API key and sending events.

export const baseUrl = () => process.env.E2E_BASE_URL!;

/** The month under way when the suite started (YYYY-MM), which every journey uses as "this month". */
export const suiteMonth = () => process.env.E2E_MONTH!;

/** The month after the suite's month (YYYY-MM). */
export function monthAfterSuiteMonth(): string {
  const [year, month] = suiteMonth().split("-").map(Number);
  return new Date(Date.UTC(year!, month!, 1)).toISOString().slice(0, 7);
}

/** The API key as a newcomer finds it: on the Flows page, which this opens. */
export async function apiKeyFromFlowsPage(page: Page): Promise<string> {
  await page.goto(baseUrl());
  const keyText = page.getByRole("region", { name: "Send events" }).getByTestId("api-key");
  await expect(keyText).toHaveText(/^mf_/);
  return (await keyText.textContent())!;
}

/** Sends one CloudEvent (structured mode) or several (batch mode) with the key; ingestion answers 200. */
export async function sendEvents(request: APIRequestContext, key: string, events: object | object[]): Promise<void> {
  const response = await request.post(`${baseUrl()}v1/events`, {
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": Array.isArray(events) ? "application/cloudevents-batch+json" : "application/cloudevents+json",
    },
    data: JSON.stringify(events),
  });
  expect(response.status()).toBe(200);
}
