import { describe, expect, it } from "vitest";
import { compile } from "./compile-expression";

// Meterflow's own functions: the reference jsonata has no counterpart to compare with.
const evaluate = (source: string, input?: unknown) => compile(source).evaluate(input);

describe("$decimal helpers", () => {
  it("add, subtract and multiply exactly where binary floats drift", () => {
    expect(compile("0.1 + 0.2").evaluate(undefined)).toBe(0.30000000000000004);
    expect(evaluate("$decimalAdd(0.1, 0.2)")).toBe("0.3");
    expect(evaluate("$decimalSub('100.00', '0.01')")).toBe("99.99");
    expect(evaluate("$decimalMul('1234567.891', '0.0010')")).toBe("1234.567891");
    expect(evaluate("$decimalDiv('10', '4')")).toBe("2.5");
  });

  it("round to a currency scale with explicit modes, keeping trailing zeros", () => {
    expect(evaluate("$decimalRound('2.345', 2)")).toBe("2.34");
    expect(evaluate("$decimalRound('2.355', 2)")).toBe("2.36");
    expect(evaluate("$decimalRound('2.345', 2, 'half-up')")).toBe("2.35");
    expect(evaluate("$decimalRound('12.5')")).toBe("12.50");
    expect(evaluate("$decimalRound('-0.005', 2, 'up')")).toBe("-0.01");
  });

  it("price a usage line the way a Rate node does", () => {
    const line = evaluate("$decimalRound($decimalMul(quantity, unitPrice), 2)", {
      quantity: "1250000",
      unitPrice: "0.0008",
    });
    expect(line).toBe("1000.00");
    expect(evaluate("$decimalCompare(total, '5000')", { total: "5000.01" })).toBe(1);
  });

  it("propagate undefined and refuse values that are not decimals, naming the argument", () => {
    expect(evaluate("$decimalAdd(missing, 1)", {})).toBeUndefined();
    expect(() => compile("$decimalAdd('1,5', 1)").evaluate({})).toThrow(
      /Argument 1 of \$decimalAdd must be a decimal number or decimal string, got "1,5"/,
    );
    expect(() => compile("$decimalRound(1, 2, 'sideways')").evaluate({})).toThrow(
      /must be one of half-even, half-up, down, up/,
    );
    expect(() => compile("$decimalDiv(1, 0)").evaluate({})).toThrow(/division by zero/);
  });
});
