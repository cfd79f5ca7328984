// Evaluations per second, compiled path vs the reference jsonata evaluators (1.8.9, synchronous,
// and 2.x, asynchronous), on the same reference mappings in the same run. Prints JSON.
// Run: npm run bench -w @meterflow/expressions
import jsonata from "jsonata";
import jsonata189 from "jsonata-1.8.9";
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

const WARM_UP = 2000;
const BATCH = 500;

function rate(evaluate: () => unknown, seconds: number): number {
  for (let i = 0; i < WARM_UP; i += 1) evaluate();
  let count = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < BATCH; i += 1) evaluate();
    count += BATCH;
    elapsed = process.hrtime.bigint() - started;
  }
  return Math.round(count / (Number(elapsed) / 1e9));
}

async function rateAsync(evaluate: () => Promise<unknown>, seconds: number): Promise<number> {
  for (let i = 0; i < WARM_UP; i += 1) await evaluate();
  let count = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < BATCH; i += 1) await evaluate();
    count += BATCH;
    elapsed = process.hrtime.bigint() - started;
  }
  return Math.round(count / (Number(elapsed) / 1e9));
}

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const ratio = (a: number, b: number) => Number((a / b).toFixed(1));
const results = [];
for (const { name, source, input } of cases) {
  const compiled = compile(source);
  const reference2 = jsonata(source);
  const reference189 = jsonata189(source);
  const expected = JSON.stringify(compiled.evaluate(input));
  if (
    expected !== JSON.stringify(await reference2.evaluate(input)) ||
    expected !== JSON.stringify(reference189.evaluate(input))
  )
    throw new Error(`${name}: results differ`);
  const compiledPerSecond = rate(() => compiled.evaluate(input), seconds);
  const jsonata189PerSecond = rate(() => reference189.evaluate(input), seconds);
  const jsonata2PerSecond = await rateAsync(() => reference2.evaluate(input), seconds);
  results.push({
    name,
    compiledPerSecond,
    jsonata189PerSecond,
    jsonata2PerSecond,
    ratioVs189: ratio(compiledPerSecond, jsonata189PerSecond),
    ratioVs2: ratio(compiledPerSecond, jsonata2PerSecond),
  });
}

console.log(
  JSON.stringify(
    {
      benchmark: "expressions",
      node: process.version,
      secondsPerMeasurement: seconds,
      references: ["jsonata@1.8.9 (synchronous)", "jsonata@2.2.2 (asynchronous, awaited per evaluation)"],
      results,
    },
    null,
    2,
  ),
);
