import { describe, expect, it } from "vitest";
import { compile } from "./compile-expression";

const both = (source: string, input?: unknown) => {
  const compiled = compile(source);
  const reference = compile(source, { referenceOnly: true });
  const value = compiled.evaluate(input);
  expect(reference.evaluate(input)).toEqual(value);
  return { mode: compiled.mode, value };
};

describe("$decimal helpers", () => {
  it("add, subtract and multiply exactly where binary floats drift", () => {
    expect(compile("0.1 + 0.2").evaluate(undefined)).toBe(0.30000000000000004);
    expect(both("$decimalAdd(0.1, 0.2)")).toEqual({ mode: "compiled", value: "0.3" });
    expect(both("$decimalSub('100.00', '0.01')").value).toBe("99.99");
    expect(both("$decimalMul('1234567.891', '0.0010')").value).toBe("1234.567891");
    expect(both("$decimalDiv('10', '4')").value).toBe("2.5");
  });

  it("round to a currency scale with explicit modes, keeping trailing zeros", () => {
    expect(both("$decimalRound('2.345', 2)").value).toBe("2.34");
    expect(both("$decimalRound('2.355', 2)").value).toBe("2.36");
    expect(both("$decimalRound('2.345', 2, 'half-up')").value).toBe("2.35");
    expect(both("$decimalRound('12.5')").value).toBe("12.50");
    expect(both("$decimalRound('-0.005', 2, 'up')").value).toBe("-0.01");
  });

  it("price a usage line the way a Rate node does", () => {
    const line = both("$decimalRound($decimalMul(quantity, unitPrice), 2)", {
      quantity: "1250000",
      unitPrice: "0.0008",
    });
    expect(line.value).toBe("1000.00");
    expect(both("$decimalCompare(total, '5000')", { total: "5000.01" }).value).toBe(1);
  });

  it("propagate undefined and refuse values that are not decimals, naming the argument", () => {
    expect(both("$decimalAdd(missing, 1)", {}).value).toBeUndefined();
    expect(() => compile("$decimalAdd('1,5', 1)").evaluate({})).toThrow(
      /Argument 1 of \$decimalAdd must be a decimal number or decimal string, got "1,5"/,
    );
    expect(() => compile("$decimalRound(1, 2, 'sideways')").evaluate({})).toThrow(
      /must be one of half-even, half-up, down, up/,
    );
    expect(() => compile("$decimalDiv(1, 0)").evaluate({})).toThrow(/division by zero/);
  });
});
