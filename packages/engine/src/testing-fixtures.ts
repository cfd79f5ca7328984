import template from "../../../templates/metered-api-billing.json";
import type { CloudEvent } from "./engine-types";
import type { ReferenceData } from "./memory-context";

/** The repository's metered-api-billing template, as the runtime would load it. */
export function meteredApiBillingTemplate(): unknown {
  return structuredClone(template);
}

export function apiCall(
  id: string,
  tenantId: string,
  calls: number,
  time: string,
  extra: Partial<CloudEvent> = {},
): CloudEvent {
  return {
    specversion: "1.0",
    id,
    source: "/gateway",
    type: "com.meterflow.api.call",
    time,
    data: { tenantId, productCode: "api-calls", calls, region: "eu" },
    ...extra,
  };
}

export const billingReference: ReferenceData = {
  accounts: { "t-1": { tenantId: "t-1", erpAccountId: "ERP-1" }, "t-2": { tenantId: "t-2", erpAccountId: "ERP-2" } },
  contracts: {
    "t-1": { contractId: "c-1", tenantId: "t-1", priceList: "api-calls-standard" },
    "t-2": { contractId: "c-2", tenantId: "t-2", priceList: "api-calls-standard" },
  },
};
