// Evaluations per second, compiled path vs the reference jsonata library, on the same reference
// mappings in the same run. Prints JSON. Run: npm run bench -w @meterflow/expressions
import jsonata from "jsonata";
import { compile } from "../src/index";

const event = {
  specversion: "1.0",
  id: "evt-000123",
  source: "/api-gateway/eu-1",
  type: "com.meterflow.api.call",
  time: "2026-11-03T10:15:00Z",
  data: {
    tenantId: "t-42",
    contractId: "c-42-2026",
    productCode: "api-calls",
    calls: 17,
    region: "eu",
    endpoint: "/v1/search",
  },
};
const invoice = {
  customer: "ERP-42",
  currency: "EUR",
  lines: Array.from({ length: 20 }, (_, i) => ({
    item: `SKU-${i}`,
    quantity: i + 1,
    unitPrice: 0.25 * (i + 1),
    description: `line ${i}`,
  })),
};

const cases = [
  {
    name: "usage-record mapping (7 fields)",
    source:
      '{ "tenantId": data.tenantId, "contractId": data.contractId, "productCode": data.productCode, "metric": "api_calls", "quantity": data.calls, "ratingPeriod": $substring(time, 0, 7), "correlationId": source & "/" & id }',
    input: event,
  },
  {
    name: "routing condition",
    source: 'type = "com.meterflow.api.call" and data.region in ["eu", "uk"] and data.calls > 0',
    input: event,
  },
  {
    name: "aggregation key",
    source: 'data.tenantId & "|" & data.contractId & "|" & $substring(time, 0, 7)',
    input: event,
  },
  {
    name: "invoice lines over 20 items",
    source:
      '{ "customer": customer, "currency": currency, "lines": lines.{ "item": item, "quantity": quantity, "amount": $round(quantity * unitPrice, 2), "text": $uppercase(description) }, "total": $round($sum(lines.(quantity * unitPrice)), 2) }',
    input: invoice,
  },
];

function rate(evaluate: () => unknown, seconds: number): number {
  for (let i = 0; i < 2000; i += 1) evaluate(); // warm up
  let count = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 500; i += 1) evaluate();
    count += 500;
    elapsed = process.hrtime.bigint() - started;
  }
  return Math.round(count / (Number(elapsed) / 1e9));
}

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const results = cases.map(({ name, source, input }) => {
  const compiled = compile(source);
  const reference = jsonata(source);
  if (JSON.stringify(compiled.evaluate(input)) !== JSON.stringify(reference.evaluate(input)))
    throw new Error(`${name}: results differ`);
  const compiledPerSecond = rate(() => compiled.evaluate(input), seconds);
  const referencePerSecond = rate(() => reference.evaluate(input), seconds);
  return {
    name,
    mode: compiled.mode,
    compiledPerSecond,
    referencePerSecond,
    ratio: Number((compiledPerSecond / referencePerSecond).toFixed(1)),
  };
});

console.log(
  JSON.stringify(
    {
      benchmark: "expressions",
      node: process.version,
      secondsPerMeasurement: seconds,
      reference: "jsonata@1.8.9",
      results,
    },
    null,
    2,
  ),
);
