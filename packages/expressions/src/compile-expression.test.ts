import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compile } from "./compile-expression";
import { ExpressionError } from "./expression-error";

interface Case {
  expr: string;
  input?: unknown;
  bindings?: Record<string, unknown>;
  result?: unknown;
  error?: string;
}

const event = {
  id: "e-1",
  source: "/gateway",
  time: "2026-11-03T10:15:00Z",
  data: {
    tenantId: "t-1",
    calls: 3,
    region: "eu",
    price: "12.50",
    items: [
      { p: 2, q: 3, n: "a" },
      { p: 5, q: 1, n: "b" },
    ],
    tags: ["x", "y"],
    one: ["solo"],
    empty: [],
    nothing: null,
  },
};

/** Data, not code: each case runs on the compiled path and on the reference evaluator. */
const groups: Record<string, Case[]> = {
  paths: [
    { expr: "data.tenantId", input: event, result: "t-1" },
    { expr: "data.items.p", input: event, result: [2, 5] },
    { expr: "data.items.n", input: event, result: ["a", "b"] },
    { expr: "data.missing", input: event, result: undefined },
    { expr: "data.missing.deeper", input: event, result: undefined },
    { expr: "data.one", input: event, result: ["solo"] },
    { expr: "data.one[0]", input: event, result: "solo" },
    { expr: "data.empty", input: event, result: [] },
    { expr: "data.empty.x", input: event, result: undefined },
    { expr: "data.nothing", input: event, result: null },
    { expr: "data.nothing.x", input: event, result: undefined },
    { expr: "a.b", input: [{ a: { b: 1 } }, { a: { b: [2, 3] } }], result: [1, 2, 3] },
    { expr: "$", input: [1, 2], result: [1, 2] },
    { expr: "$$.data.region", input: event, result: "eu" },
    { expr: "data.(calls * 2)", input: event, result: 6 },
    { expr: "a.b.c", input: { a: [{ b: [{ c: 1 }, { c: 2 }] }, { b: { c: 3 } }] }, result: [1, 2, 3] },
    { expr: "a", input: { a: [[1, 2], [3]] }, result: [[1, 2], [3]] },
    { expr: "a.b", input: { a: [{ b: [[1], [2]] }] }, result: [[1], [2]] },
    { expr: "constructor", input: {}, result: undefined },
  ],
  predicates: [
    { expr: "data.items[p > 2].n", input: event, result: "b" },
    { expr: "data.items[0].n", input: event, result: "a" },
    { expr: "data.items[-1].n", input: event, result: "b" },
    { expr: "data.items[5]", input: event, result: undefined },
    { expr: "data.items[q = 3 or q = 1].p", input: event, result: [2, 5] },
    { expr: "data.tags[$ = 'y']", input: event, result: "y" },
    { expr: "data.items[[0, 1]].n", input: event, result: ["a", "b"] },
  ],
  constructors: [
    { expr: '{ "t": data.tenantId, "n": data.calls, "gone": data.missing }', input: event, result: { t: "t-1", n: 3 } },
    { expr: "[data.items.p, 9]", input: event, result: [2, 5, 9] },
    { expr: "[[1, 2], [3]]", result: [[1, 2], [3]] },
    { expr: "[]", result: [] },
    {
      expr: 'data.items.{ "name": n, "total": p * q }',
      input: event,
      result: [
        { name: "a", total: 6 },
        { name: "b", total: 5 },
      ],
    },
    {
      expr: '{ "lines": data.items.{ "amount": p * q } }',
      input: event,
      result: { lines: [{ amount: 6 }, { amount: 5 }] },
    },
  ],
  operators: [
    { expr: "1 + 2 * 3 - 4 / 2", result: 5 },
    { expr: "7 % 3", result: 1 },
    { expr: "data.calls + data.missing", input: event, result: undefined },
    { expr: "-data.calls", input: event, result: -3 },
    { expr: "data.price + 1", input: event, error: "T2001" },
    { expr: "1 + data.price", input: event, error: "T2002" },
    { expr: "-data.region", input: event, error: "D1002" },
    { expr: "data.calls = 3", input: event, result: true },
    { expr: "data.items[0] = { 'p': 2, 'q': 3, 'n': 'a' }", input: event, result: true },
    { expr: "data.missing = null", input: event, result: false },
    { expr: "data.calls != 3", input: event, result: false },
    { expr: "'a' < 'b'", result: true },
    { expr: "data.calls >= 3", input: event, result: true },
    { expr: "data.calls < data.missing", input: event, result: undefined },
    { expr: "1 < 'a'", error: "T2009" },
    { expr: "data.items < 1", input: event, error: "T2010" },
    { expr: "true and data.missing", input: event, result: false },
    { expr: "data.missing or 1", input: event, result: true },
    { expr: "data.region in ['eu', 'us']", input: event, result: true },
    { expr: "'z' in data.tags", input: event, result: false },
    { expr: "source & '/' & id & data.calls & data.missing", input: event, result: "/gateway/e-13" },
    { expr: "'n=' & (0.1 + 0.2)", result: "n=0.3" },
    { expr: "'n=' & 0.1 + 0.2", error: "T2001" },
    { expr: "data.calls > 2 ? 'big' : 'small'", input: event, result: "big" },
    { expr: "data.missing ? 'yes'", input: event, result: undefined },
  ],
  variables: [
    { expr: "($x := data.calls; $y := $x * 2; $y + 1)", input: event, result: 7 },
    { expr: "$rate * data.calls", input: event, bindings: { rate: 1.5 }, result: 4.5 },
    { expr: "$unknown", input: event, result: undefined },
    { expr: "($f := function($n) { $n < 2 ? $n : $f($n - 1) + $f($n - 2) }; $f(10))", result: 55 },
  ],
  strings: [
    { expr: "$string(data.calls)", input: event, result: "3" },
    { expr: "$string(0.1 + 0.2)", result: "0.3" },
    { expr: "$string(data.items[0])", input: event, result: '{"p":2,"q":3,"n":"a"}' },
    { expr: "$string(data.missing)", input: event, result: undefined },
    { expr: "$number(data.price)", input: event, result: 12.5 },
    { expr: "$number('1e3')", result: 1000 },
    { expr: "$number('12abc')", error: "D3030" },
    { expr: "$boolean(data.empty)", input: event, result: false },
    { expr: "$boolean(data.one)", input: event, result: true },
    { expr: "$exists(data.nothing)", input: event, result: true },
    { expr: "$exists(data.missing)", input: event, result: false },
    { expr: "$substring(time, 0, 7)", input: event, result: "2026-11" },
    { expr: "$substring('hello', -3)", result: "llo" },
    { expr: "$substring('hello', 1, -1)", result: "" },
    { expr: "$substringBefore(source, 'way')", input: event, result: "/gate" },
    { expr: "$substringAfter('a-b-c', '-')", result: "b-c" },
    { expr: "$uppercase(data.region)", input: event, result: "EU" },
    { expr: "$lowercase('ÀB')", result: "àb" },
    { expr: "$trim('  a \\n b  ')", result: "a b" },
    { expr: "$pad('7', 3, '0')", result: "700" },
    { expr: "$pad('7', -3, '0')", result: "007" },
    { expr: "$contains(source, 'gate')", input: event, result: true },
    { expr: "$split('a,b,c', ',', 2)", result: ["a", "b"] },
    { expr: "$join(data.tags, '|')", input: event, result: "x|y" },
    { expr: "$join(data.items, '|')", input: event, error: "T0412" },
    { expr: "$replace('a-b-c', '-', '+', 1)", result: "a+b-c" },
    { expr: "$replace('aaa', 'a', 'bb')", result: "bbbbbb" },
    { expr: "$length('héllo')", result: 5 },
    { expr: "$length(data.calls)", input: event, error: "T0410" },
    { expr: "$uppercase(1)", error: "T0410" },
  ],
  numbers: [
    { expr: "$sum(data.items.p)", input: event, result: 7 },
    { expr: "$sum(data.empty)", input: event, result: 0 },
    { expr: "$sum(data.missing)", input: event, result: undefined },
    { expr: "$sum(data.tags)", input: event, error: "T0412" },
    { expr: "$count(data.items)", input: event, result: 2 },
    { expr: "$count(data.missing)", input: event, result: 0 },
    { expr: "$count(data.calls)", input: event, result: 1 },
    { expr: "$max(data.items.p)", input: event, result: 5 },
    { expr: "$min(data.items.p)", input: event, result: 2 },
    { expr: "$max(data.empty)", input: event, result: undefined },
    { expr: "$average(data.items.p)", input: event, result: 3.5 },
    { expr: "$round(2.5)", result: 2 },
    { expr: "$round(3.5)", result: 4 },
    { expr: "$round(-2.5)", result: -2 },
    { expr: "$round(1.005, 2)", result: 1 },
    { expr: "$round(1.015, 2)", result: 1.02 },
    { expr: "$round(1234.5, -2)", result: 1200 },
    { expr: "$floor(-1.5)", result: -2 },
    { expr: "$ceil(1.2)", result: 2 },
    { expr: "$abs(-4)", result: 4 },
  ],
  objectsAndArrays: [
    { expr: "$keys(data.items[0])", input: event, result: ["p", "q", "n"] },
    { expr: "$keys({ 'only': 1 })", result: "only" },
    { expr: "$lookup(data, 'region')", input: event, result: "eu" },
    { expr: "$merge([{ 'a': 1 }, { 'b': 2, 'a': 3 }])", result: { a: 3, b: 2 } },
    { expr: "$append(data.tags, 'z')", input: event, result: ["x", "y", "z"] },
    { expr: "$append(1, 2)", result: [1, 2] },
    { expr: "$append(data.missing, 2)", input: event, result: 2 },
    { expr: "$distinct([1, 2, 1, 3, 2])", result: [1, 2, 3] },
    { expr: "$distinct(data.items.q)", input: event, result: [3, 1] },
  ],
  higherOrder: [
    { expr: "$map(data.items, function($v) { $v.p * 10 })", input: event, result: [20, 50] },
    { expr: "$map(data.tags, function($v, $i) { $v & $i })", input: event, result: ["x0", "y1"] },
    { expr: "$filter(data.items, function($v) { $v.q > 1 }).n", input: event, result: "a" },
    { expr: "$reduce(data.items.p, function($a, $b) { $a + $b })", input: event, result: 7 },
    { expr: "$reduce([1, 2, 3], function($a, $b) { $a * $b }, 10)", result: 60 },
    { expr: "$reduce([1, 2], function($a) { $a })", error: "D3050" },
    { expr: "$map(data.missing, function($v) { $v })", input: event, result: undefined },
  ],
  time: [
    { expr: "$now()", result: "2026-11-24T12:00:00.000Z" },
    { expr: "$millis()", result: Date.parse("2026-11-24T12:00:00Z") },
    { expr: "$toMillis(time)", input: event, result: Date.parse("2026-11-03T10:15:00Z") },
    { expr: "$toMillis('not a date')", error: "D3110" },
    { expr: "$fromMillis(0)", result: "1970-01-01T00:00:00.000Z" },
  ],
};

const clock = () => Date.parse("2026-11-24T12:00:00Z");

function outcome(run: () => unknown): { result?: string; error?: string } {
  try {
    return { result: JSON.stringify(run()) };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

describe.each(Object.entries(groups))("%s", (_group, cases) => {
  it.each(cases)("$expr", ({ expr, input, bindings, result, error }) => {
    const compiled = compile(expr, { clock });
    expect(compiled.mode, compiled.fallbackReason).toBe("compiled");
    const expected = error ? { error } : { result: JSON.stringify(result) };
    expect(outcome(() => compiled.evaluate(input, bindings))).toEqual(expected);
    const reference = jsonata(expr);
    expect(
      outcome(() =>
        reference.evaluate(input, { now: () => new Date(clock()).toISOString(), millis: clock, ...bindings }),
      ),
    ).toEqual(expected);
  });
});

describe("aggregates over long arrays", () => {
  // The reference evaluator spreads them into Math.max and fails with a stack overflow.
  it("takes $max and $min of more values than a call's argument list may hold", () => {
    const values = Array.from({ length: 200_000 }, (_, i) => ((i * 7919) % 200_003) - 1_000);
    expect(compile("$max(values)").evaluate({ values })).toBe(values.reduce((a, b) => Math.max(a, b)));
    expect(compile("$min(values)").evaluate({ values })).toBe(values.reduce((a, b) => Math.min(a, b)));
  });
});

describe("fallback to the reference evaluator", () => {
  it.each([
    { expr: "data.items^(>p).n", result: ["b", "a"] },
    { expr: "**.n", result: ["a", "b"] },
    { expr: "[1..3]", result: [1, 2, 3] },
    { expr: "data.items{ n: p }", result: { a: 2, b: 5 } },
    { expr: "data.tags[]", result: ["x", "y"] },
    { expr: "$map(data.tags, $uppercase)", result: ["X", "Y"] },
    { expr: "data.items#$i.n", result: ["a", "b"] },
  ])("$expr runs on the reference and says why", ({ expr, result }) => {
    const compiled = compile(expr);
    expect(compiled.mode).toBe("reference");
    expect(compiled.fallbackReason).toBeTruthy();
    expect(JSON.stringify(compiled.evaluate(event))).toBe(JSON.stringify(result));
  });

  it("falls back at run time for grouping object constructors over a sequence", () => {
    const compiled = compile('{ "n": n }');
    expect(compiled.mode).toBe("compiled");
    expect(JSON.stringify(compiled.evaluate([{ n: 1 }, { n: 2 }]))).toBe(
      JSON.stringify(jsonata('{ "n": n }').evaluate([{ n: 1 }, { n: 2 }])),
    );
  });
});

describe("errors", () => {
  it("reports JSONata's syntax error with its position", () => {
    const failure = (() => {
      try {
        compile("data.(calls");
      } catch (error) {
        return error as ExpressionError;
      }
    })();
    expect(failure).toBeInstanceOf(ExpressionError);
    expect(failure!.code).toMatch(/^S0/);
    expect(failure!.position).toBeGreaterThan(0);
    expect(failure!.message).toContain("data.(calls");
  });

  it("names the expression and the failing sub-expression at run time", () => {
    const expression = compile('{ "total": data.price * 2 }');
    expect(() => expression.evaluate(event)).toThrow(
      /left side of the \* operator must evaluate to a number in `data.price \* 2` \(expression `\{ "total": data.price \* 2 \}`/,
    );
  });

  it("stops deep recursion with the depth budget", () => {
    const runaway = compile("($f := function($n) { $f($n + 1) + 1 }; $f(0))", { maxDepth: 50 });
    expect(runaway.mode).toBe("compiled");
    expect(() => runaway.evaluate({})).toThrow(expect.objectContaining({ code: "U1001" }));
    const tailCall = compile("($f := function($n) { $f($n + 1) }; $f(0))", { maxDepth: 50 });
    expect(() => tailCall.evaluate({})).toThrow(expect.objectContaining({ code: "U1001" }));
  });

  it("stops a runaway expression with the time budget", () => {
    const runaway = compile("($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))", { timeoutMs: 50 });
    expect(runaway.mode).toBe("compiled");
    expect(() => runaway.evaluate({})).toThrow(expect.objectContaining({ code: "U1002" }));
    const onReference = compile("($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))", {
      timeoutMs: 50,
      referenceOnly: true,
    });
    expect(() => onReference.evaluate({})).toThrow(expect.objectContaining({ code: "U1002" }));
  });
});
