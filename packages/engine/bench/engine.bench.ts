// Events per second through the metered-api-billing template (validate, dedupe, enrich, map,
// aggregate, then rate at window close) against JSON.parse of the same events in the same run. Prints JSON.
// Run: npm run bench -w @meterflow/engine   (EVENTS=200000 for a quicker run)
import { compileFlow, memoryContext, type CloudEvent } from "../src/index";
import { apiCall, billingReference, meteredApiBillingTemplate } from "../src/testing-fixtures";

const total = Number(process.env.EVENTS ?? 1_000_000);
const batchSize = Number(process.env.BATCH ?? 1000);
const tenants = ["t-1", "t-2"];
const start = Date.UTC(2026, 10, 1);
const lines: string[] = [];
for (let i = 0; i < total; i += 1) {
  lines.push(JSON.stringify(apiCall(`e${i}`, tenants[i % 2]!, (i % 17) + 1, new Date(start + i * 1000).toISOString())));
}

function seconds(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// Both sides warm up first (the JIT optimises the engine's closures; JSON.parse is native), on
// other events and a throwaway context, so the measured runs compare steady states.
const warmup = Array.from({ length: 50_000 }, (_, i) =>
  JSON.stringify(apiCall(`w${i}`, tenants[i % 2]!, 1, new Date(start + i * 1000).toISOString())),
);
const warmPlan = compileFlow(meteredApiBillingTemplate());
const warmContext = memoryContext(billingReference);
for (let at = 0; at < warmup.length; at += batchSize)
  warmPlan.run(
    warmup.slice(at, at + batchSize).map((line) => JSON.parse(line) as CloudEvent),
    warmContext,
  );

// Five rounds of each, alternating, each engine round with a fresh context (so its dedupe state
// sees the stream once); the medians are compared, which keeps one noisy round from deciding.
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// Each measured segment starts on a collected heap (the script runs with --expose-gc), so one
// round's garbage is not collected on the next one's time.
const collect = () => (globalThis as { gc?: () => void }).gc?.();
const parseRounds: number[] = [];
const engineRounds: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  let parsed: CloudEvent[] = [];
  collect();
  parseRounds.push(
    seconds(() => {
      parsed = lines.map((line) => JSON.parse(line) as CloudEvent);
    }),
  );
  const plan = compileFlow(meteredApiBillingTemplate());
  const context = memoryContext(billingReference);
  let validated = 0;
  let rated = 0;
  collect();
  engineRounds.push(
    seconds(() => {
      for (let at = 0; at < parsed.length; at += batchSize) {
        const effects = plan.run(parsed.slice(at, at + batchSize), context);
        for (const entry of effects.outcomes) if (entry.outcome === "validated") validated += 1;
      }
      // Rate (and Approval, Post) run once per window, when it closes.
      rated += plan.closeWindows(context, { all: true }).postings.length;
    }),
  );
  if (rated === 0) throw new Error("no window was rated and posted");
  if (validated !== total) throw new Error(`expected ${total} validated events, got ${validated}`);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const parseSeconds = median(parseRounds);
const engineSeconds = median(engineRounds);

const parsePerSecond = Math.round(total / parseSeconds);
const enginePerSecond = Math.round(total / engineSeconds);
console.log(
  JSON.stringify(
    {
      benchmark: "engine: metered-api-billing template",
      node: process.version,
      events: total,
      batchSize,
      rounds: ROUNDS,
      jsonParsePerSecond: parsePerSecond,
      enginePerSecond,
      ratioToJsonParse: Number((enginePerSecond / parsePerSecond).toFixed(3)),
      roundsEnginePerSecond: engineRounds.map((value) => Math.round(total / value)),
      roundsJsonParsePerSecond: parseRounds.map((value) => Math.round(total / value)),
      target: 0.4,
    },
    null,
    2,
  ),
);
