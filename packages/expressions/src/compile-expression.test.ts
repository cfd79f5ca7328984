import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compile, syntaxProblem } from "./compile-expression";
import { createExpressionBudget } from "./expression-budget";
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

/** Data, not code: each case runs on the compiled path and on the reference evaluator (jsonata 2.x). */
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
  jsonata2: [
    { expr: "data.missing ?? 'none'", input: event, result: "none" },
    { expr: "data.nothing ?? 'none'", input: event, result: null },
    { expr: "data.empty ?: 'none'", input: event, result: "none" },
    { expr: "data.region ?: 'none'", input: event, result: "eu" },
    { expr: "$number('00')", result: 0 },
    { expr: "$number('-007')", result: -7 },
    { expr: "$number('0x12')", result: 18 },
    { expr: "$number('0B101')", result: 5 },
    { expr: "$number('0O12')", result: 10 },
    { expr: "$pad('foo', 5.7, ' ')", result: "foo  " },
    { expr: "$string(function(){true})", result: "" },
    { expr: "$string(2, 3)", error: "T0410" },
    { expr: '$contains("Hello World", nothing)', result: undefined },
    { expr: "$formatNumber(0, '0e0')", result: "0e0" },
    { expr: "$formatNumber(-42, '0e0')", result: "-4e1" },
    { expr: "$formatNumber(0, '0.00e0')", result: "0.00e0" },
  ],
  pathsAndGrouping: [
    { expr: "data.items^(>p).n", input: event, result: ["b", "a"] },
    { expr: "**.n", input: event, result: ["a", "b"] },
    { expr: "data.*", input: { data: { a: 1, b: [2, 3] } }, result: [1, 2, 3] },
    { expr: "[1..3]", result: [1, 2, 3] },
    { expr: "data.items{ n: p }", input: event, result: { a: 2, b: 5 } },
    { expr: "data.tags[]", input: event, result: ["x", "y"] },
    { expr: "data.one[]", input: event, result: ["solo"] },
    { expr: '{ "n": n }', input: [{ n: 1 }, { n: 2 }], result: { n: [1, 2] } },
    {
      expr: "data.items#$i.{ 'n': n, 'i': $i }",
      input: event,
      result: [
        { n: "a", i: 0 },
        { n: "b", i: 1 },
      ],
    },
    {
      expr: "library.loans@$l.books@$b[$l.isbn = $b.isbn].{ 'title': $b.title, 'customer': $l.customer }",
      input: {
        library: {
          books: [
            { isbn: "1", title: "Dune" },
            { isbn: "2", title: "Emma" },
          ],
          loans: [
            { isbn: "2", customer: "c-1" },
            { isbn: "1", customer: "c-2" },
          ],
        },
      },
      result: [
        { title: "Emma", customer: "c-1" },
        { title: "Dune", customer: "c-2" },
      ],
    },
    {
      expr: "data.items.n.{ 'n': $, 'parentP': %.p }",
      input: event,
      result: [
        { n: "a", parentP: 2 },
        { n: "b", parentP: 5 },
      ],
    },
    { expr: "data.{ 'k': $keys(items[0]) }", input: event, result: { k: ["p", "q", "n"] } },
  ],
  functionsAsValues: [
    { expr: "$map(data.tags, $uppercase)", input: event, result: ["X", "Y"] },
    { expr: "($first := $substring(?, 0, 1); $map(data.items.n, $first))", input: event, result: ["a", "b"] },
    { expr: "data.tags ~> $join('+')", input: event, result: "x+y" },
    { expr: "($up := $uppercase ~> $substring(?, 0, 1); $up('abc'))", result: "A" },
    { expr: "$sort(data.items, function($a, $b) { $a.p < $b.p }).n", input: event, result: ["b", "a"] },
    { expr: "$each({ 'a': 1 }, function($v, $k) { $k & $v })", result: "a1" },
    {
      expr: "$zip([1, 2], ['a', 'b'])",
      result: [
        [1, "a"],
        [2, "b"],
      ],
    },
    { expr: "$eval('1 + 2')", result: 3 },
    { expr: "$eval('[1,$string(2)')", error: "D3120" },
  ],
  regexAndPictures: [
    { expr: "$match('ab12cd34', /[0-9]+/).match", result: ["12", "34"] },
    { expr: "$replace('2026-11-03', /(\\d+)-(\\d+)-(\\d+)/, '$3.$2.$1')", result: "03.11.2026" },
    { expr: "$split('a1b22c', /[0-9]+/)", result: ["a", "b", "c"] },
    { expr: "$contains('Hello', /l+/)", result: true },
    { expr: "$formatNumber(1234.5, '#,##0.00')", result: "1,234.50" },
    { expr: "$formatInteger(1999, 'I')", result: "MCMXCIX" },
    { expr: "$formatInteger(21, 'w;o')", result: "twenty-first" },
    { expr: "$parseInteger('twelve', 'w')", result: 12 },
    { expr: "$formatBase(255, 16)", result: "ff" },
    { expr: "$fromMillis(1510067557121, '[Y0001]-[M01]-[D01] [H01]:[m01]', '+0100')", result: "2017-11-07 16:12" },
    { expr: "$toMillis('2017-11-07 15:12', '[Y0001]-[M01]-[D01] [H01]:[m01]')", result: 1510067520000 },
  ],
  transforms: [
    {
      expr: "data ~> | items | { 'total': p * q }, ['q'] |",
      input: event,
      result: {
        ...event.data,
        items: [
          { p: 2, n: "a", total: 6 },
          { p: 5, n: "b", total: 5 },
        ],
      },
    },
    { expr: "data ~> | items | 'x' |", input: event, error: "T2011" },
  ],
};
const clock = () => Date.parse("2026-11-24T12:00:00Z");
const now = () => new Date(clock()).toISOString();

async function outcome(run: () => unknown): Promise<{ result?: string; error?: string }> {
  try {
    return { result: JSON.stringify(await run()) };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

describe.each(Object.entries(groups))("%s", (_group, cases) => {
  it.each(cases)("$expr", async ({ expr, input, bindings, result, error }) => {
    const expected = error ? { error } : { result: JSON.stringify(result) };
    const compiled = compile(expr, { clock });
    expect(await outcome(() => compiled.evaluate(input, bindings))).toEqual(expected);
    const reference = jsonata(expr);
    expect(await outcome(() => reference.evaluate(input, { now, millis: clock, ...bindings }))).toEqual(expected);
  });
});

describe("aggregates over long arrays", () => {
  it("takes $max and $min of more values than a call's argument list may hold", () => {
    const values = Array.from({ length: 200_000 }, (_, i) => ((i * 7919) % 200_003) - 1_000);
    expect(compile("$max(values)").evaluate({ values })).toBe(values.reduce((a, b) => Math.max(a, b)));
    expect(compile("$min(values)").evaluate({ values })).toBe(values.reduce((a, b) => Math.min(a, b)));
  });
});

function failure(run: () => unknown): ExpressionError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error("expected an ExpressionError");
}

describe("errors", () => {
  it("reports JSONata's syntax error with its position", () => {
    const error = failure(() => compile("data.(calls"));
    expect(error.code).toMatch(/^S0/);
    expect(error.position).toBeGreaterThan(0);
    expect(error.message).toContain("data.(calls");
  });

  it("names the expression and the failing sub-expression at run time", () => {
    const expression = compile('{ "total": data.price * 2 }');
    expect(() => expression.evaluate(event)).toThrow(
      /left side of the \* operator must evaluate to a number in `data.price \* 2` \(expression `\{ "total": data.price \* 2 \}`/,
    );
  });

  it("refuses, when compiling, a regular expression that would need backtracking", () => {
    const error = failure(() => compile("$match(text, /(a+)\\1/)"));
    expect(error.code).toBe("S0303");
    expect(error.message).toMatch(/backreferences and lookarounds/);
    expect(syntaxProblem("$replace(text, /(?<=a)b/, 'c')")).toMatch(/S0303/);
    expect(syntaxProblem("$match(text, /(a+)+$/)")).toBeUndefined();
  });

  it("matches a pattern that backtracks exponentially elsewhere in linear time", () => {
    const text = `${"a".repeat(5000)}!`;
    expect(compile("$contains(text, /(a+)+$/)").evaluate({ text })).toBe(false);
  });
});

describe("budgets", () => {
  const code = (run: () => unknown) => failure(run).code;

  it("stops deep recursion with the depth budget, counted as JSONata counts it", () => {
    const factorial = "($f := function($n) { $n = 0 ? 1 : $n * $f($n - 1) }; $f(N))";
    expect(compile(factorial.replace("N", "99"), { maxDepth: 302 }).evaluate({})).toBeCloseTo(9.33262154439441e155);
    expect(code(() => compile(factorial.replace("N", "100"), { maxDepth: 302 }).evaluate({}))).toBe("U1001");
    expect(code(() => compile("($f := function($n) { $f($n + 1) + 1 }; $f(0))").evaluate({}))).toBe("U1001");
  });

  it("runs tail calls in constant depth", () => {
    const evenOdd =
      "($even := function($n) { $n = 0 ? true : $odd($n - 1) }; $odd := function($n) { $n = 0 ? false : $even($n - 1) }; $odd(6555))";
    expect(compile(evenOdd, { maxDepth: 500 }).evaluate({})).toBe(true);
  });

  it("stops a runaway expression with the time budget, in loops and in tail recursion", () => {
    expect(code(() => compile("($f := function() { $f() }; $f())", { timeoutMs: 50 }).evaluate({}))).toBe("U1002");
    const doubling = "($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))";
    expect(code(() => compile(doubling, { timeoutMs: 50 }).evaluate({}))).toBe("U1002");
  });

  it("refuses to build strings and arrays over the size budgets, before allocating them", () => {
    expect(code(() => compile('$pad("x", 2e8)').evaluate({}))).toBe("U1003");
    expect(code(() => compile("[1..1e7]").evaluate({}))).toBe("D2015");
    expect(code(() => compile("[1..1e8]").evaluate({}))).toBe("D2014");
    expect(code(() => compile("$join([1..20].$pad('', 10), '')", { maxStringLength: 100 }).evaluate({}))).toBe("U1003");
    expect(compile("$count([1..100])", { maxArrayLength: 100 }).evaluate({})).toBe(100);
    expect(code(() => compile("$count([1..101])", { maxArrayLength: 100 }).evaluate({}))).toBe("D2015");
    const doubling = "($f := function($s, $n) { $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('ab', 40)))";
    expect(code(() => compile(doubling).evaluate({}))).toBe("U1003");
  });
});

describe("a budget shared by many evaluations", () => {
  it("charges each evaluation and fails the one that runs out, and every later one, with U1004", () => {
    const budget = createExpressionBudget({ timeMs: 30 });
    const quick = compile("data.calls * 2");
    expect(quick.evaluate(event, undefined, { budget })).toBe(6);
    expect(budget.evaluations).toBe(1);
    expect(budget.exhausted).toBe(false);
    const slow = compile("($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))", {
      timeoutMs: 60_000,
    });
    const error = failure(() => slow.evaluate({}, undefined, { budget }));
    expect(error.code).toBe("U1004");
    expect(error.message).toMatch(/total expression time budget of 30 ms ran out/);
    expect(budget.exhausted).toBe(true);
    expect(budget.remainingMs()).toBe(0);
    expect(failure(() => quick.evaluate(event, undefined, { budget })).code).toBe("U1004");
    expect(budget.evaluations).toBe(3);
  });

  it("accepts only budgets it made, and a positive time", () => {
    expect(() => createExpressionBudget({ timeMs: 0 })).toThrow(/positive, finite timeMs/);
    const fake = { timeMs: 5, spentMs: 0, evaluations: 0, exhausted: false, remainingMs: () => 5 };
    expect(() => compile("1").evaluate({}, undefined, { budget: fake })).toThrow(/createExpressionBudget/);
  });
});
