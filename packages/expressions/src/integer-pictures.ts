import type { Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";

/**
 * XPath fn:format-integer pictures, used by $formatInteger, $parseInteger and the integer
 * components of date/time pictures: decimal digit patterns (`#,##0`, `01`, in any Unicode
 * digit family), letters (`a`, `A`), roman numerals (`i`, `I`) and words (`w`, `W`, `Ww`),
 * with `;o` for ordinals.
 */

const FEW = [
  "Zero",
  "One",
  "Two",
  "Three",
  "Four",
  "Five",
  "Six",
  "Seven",
  "Eight",
  "Nine",
  "Ten",
  "Eleven",
  "Twelve",
  "Thirteen",
  "Fourteen",
  "Fifteen",
  "Sixteen",
  "Seventeen",
  "Eighteen",
  "Nineteen",
];
const ORDINALS = [
  "Zeroth",
  "First",
  "Second",
  "Third",
  "Fourth",
  "Fifth",
  "Sixth",
  "Seventh",
  "Eighth",
  "Ninth",
  "Tenth",
  "Eleventh",
  "Twelfth",
  "Thirteenth",
  "Fourteenth",
  "Fifteenth",
  "Sixteenth",
  "Seventeenth",
  "Eighteenth",
  "Nineteenth",
];
const DECADES = ["Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"];
const MAGNITUDES = ["Thousand", "Million", "Billion", "Trillion"];

function numberToWords(value: number, ordinal: boolean): string {
  const words = (num: number, previous: boolean, asOrdinal: boolean): string => {
    if (num <= 19) return (previous ? " and " : "") + (asOrdinal ? ORDINALS[num] : FEW[num]);
    if (num < 100) {
      const tens = Math.floor(num / 10);
      const remainder = num % 10;
      let text = (previous ? " and " : "") + DECADES[tens - 2];
      if (remainder > 0) text += `-${words(remainder, false, asOrdinal)}`;
      else if (asOrdinal) text = `${text.substring(0, text.length - 1)}ieth`;
      return text;
    }
    if (num < 1000) {
      const hundreds = Math.floor(num / 100);
      const remainder = num % 100;
      let text = `${previous ? ", " : ""}${FEW[hundreds]} Hundred`;
      if (remainder > 0) text += words(remainder, true, asOrdinal);
      else if (asOrdinal) text += "th";
      return text;
    }
    let magnitude = Math.floor(Math.log10(num) / 3);
    if (magnitude > MAGNITUDES.length) magnitude = MAGNITUDES.length;
    const factor = 10 ** (magnitude * 3);
    const mantissa = Math.floor(num / factor);
    const remainder = num - mantissa * factor;
    let text = `${previous ? ", " : ""}${words(mantissa, false, false)} ${MAGNITUDES[magnitude - 1]}`;
    if (remainder > 0) text += words(remainder, true, asOrdinal);
    else if (asOrdinal) text += "th";
    return text;
  };
  return words(value, false, ordinal);
}

const WORD_VALUES = new Map<string, number>();
FEW.forEach((word, index) => WORD_VALUES.set(word.toLowerCase(), index));
ORDINALS.forEach((word, index) => WORD_VALUES.set(word.toLowerCase(), index));
DECADES.forEach((word, index) => {
  const lower = word.toLowerCase();
  WORD_VALUES.set(lower, (index + 2) * 10);
  WORD_VALUES.set(`${lower.substring(0, word.length - 1)}ieth`, (index + 2) * 10);
});
WORD_VALUES.set("hundredth", 100);
MAGNITUDES.forEach((word, index) => {
  const lower = word.toLowerCase();
  const value = 10 ** ((index + 1) * 3);
  WORD_VALUES.set(lower, value);
  WORD_VALUES.set(`${lower}th`, value);
});

function wordsToNumber(text: string): number {
  const values = text.split(/,\s|\sand\s|[\s\\-]/).map((part) => WORD_VALUES.get(part));
  const segments = [0];
  for (const value of values) {
    if (value === undefined) {
      segments.push(Number.NaN);
    } else if (value < 100) {
      let top = segments.pop()!;
      if (top >= 1000) {
        segments.push(top);
        top = 0;
      }
      segments.push(top + value);
    } else {
      segments.push(segments.pop()! * value);
    }
  }
  return segments.reduce((a, b) => a + b, 0);
}

const ROMAN_NUMERALS: [number, string][] = [
  [1000, "m"],
  [900, "cm"],
  [500, "d"],
  [400, "cd"],
  [100, "c"],
  [90, "xc"],
  [50, "l"],
  [40, "xl"],
  [10, "x"],
  [9, "ix"],
  [5, "v"],
  [4, "iv"],
  [1, "i"],
];
const ROMAN_VALUES: Record<string, number> = { M: 1000, D: 500, C: 100, L: 50, X: 10, V: 5, I: 1 };

function decimalToRoman(runtime: Runtime | undefined, value: number): string {
  let remaining = value;
  let result = "";
  for (const [amount, numeral] of ROMAN_NUMERALS) {
    const count = Math.floor(remaining / amount);
    if (count <= 0) continue;
    runtime?.checkStringLength(result.length + count * numeral.length);
    result += numeral.repeat(count);
    remaining -= count * amount;
  }
  return result;
}

function romanToDecimal(roman: string): number {
  let decimal = 0;
  let max = 1;
  for (let index = roman.length - 1; index >= 0; index -= 1) {
    const value = ROMAN_VALUES[roman[index]!] ?? Number.NaN;
    if (value < max) decimal -= value;
    else {
      max = value;
      decimal += value;
    }
  }
  return decimal;
}

function decimalToLetters(value: number, aChar: string): string {
  const letters: string[] = [];
  const aCode = aChar.charCodeAt(0);
  let remaining = value;
  while (remaining > 0) {
    letters.unshift(String.fromCharCode(((remaining - 1) % 26) + aCode));
    remaining = Math.floor((remaining - 1) / 26);
  }
  return letters.join("");
}

function lettersToDecimal(letters: string, aChar: string): number {
  const aCode = aChar.charCodeAt(0);
  let decimal = 0;
  for (let index = 0; index < letters.length; index += 1)
    decimal += (letters.charCodeAt(letters.length - index - 1) - aCode + 1) * 26 ** index;
  return decimal;
}

type Primary = "decimal" | "letters" | "roman" | "words" | "sequence";
type LetterCase = "upper" | "lower" | "title";
type GroupingSeparator = { position: number; character: string };

export interface IntegerFormat {
  primary: Primary;
  case: LetterCase;
  ordinal: boolean;
  zeroCode: number;
  mandatoryDigits: number;
  optionalDigits: number;
  regular: boolean;
  /** Regular: one separator repeated every `position` digits; otherwise each at its place. */
  groupingSeparators: GroupingSeparator[];
  /** When set, parsing reads exactly this many digits (two integer markers side by side). */
  parseWidth?: number;
  token?: string;
}

const DECIMAL_GROUPS = [
  0x30, 0x0660, 0x06f0, 0x07c0, 0x0966, 0x09e6, 0x0a66, 0x0ae6, 0x0b66, 0x0be6, 0x0c66, 0x0ce6, 0x0d66, 0x0de6, 0x0e50,
  0x0ed0, 0x0f20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50,
  0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
];

function regularRepeat(separators: GroupingSeparator[]): number {
  if (separators.length === 0) return 0;
  const character = separators[0]!.character;
  if (separators.some((separator) => separator.character !== character)) return 0;
  const positions = separators.map((separator) => separator.position);
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const factor = positions.reduce(gcd);
  for (let index = 1; index <= positions.length; index += 1) if (!positions.includes(index * factor)) return 0;
  return factor;
}

export function analyseIntegerPicture(picture: string): IntegerFormat {
  const format: IntegerFormat = {
    primary: "decimal",
    case: "lower",
    ordinal: false,
    zeroCode: 0x30,
    mandatoryDigits: 0,
    optionalDigits: 0,
    regular: false,
    groupingSeparators: [],
  };
  let primaryFormat = picture;
  const semicolon = picture.lastIndexOf(";");
  if (semicolon !== -1) {
    primaryFormat = picture.substring(0, semicolon);
    if (picture.charAt(semicolon + 1) === "o") format.ordinal = true;
  }
  switch (primaryFormat) {
    case "A":
      format.case = "upper";
      format.primary = "letters";
      return format;
    case "a":
      format.primary = "letters";
      return format;
    case "I":
      format.case = "upper";
      format.primary = "roman";
      return format;
    case "i":
      format.primary = "roman";
      return format;
    case "W":
      format.case = "upper";
      format.primary = "words";
      return format;
    case "Ww":
      format.case = "title";
      format.primary = "words";
      return format;
    case "w":
      format.primary = "words";
      return format;
    default:
      break;
  }
  let zeroCode: number | null = null;
  let separatorPosition = 0;
  const separators: GroupingSeparator[] = [];
  const codePoints = Array.from(primaryFormat, (char) => char.codePointAt(0)!).reverse();
  for (const codePoint of codePoints) {
    const group = DECIMAL_GROUPS.find((start) => codePoint >= start && codePoint <= start + 9);
    if (group !== undefined) {
      format.mandatoryDigits += 1;
      separatorPosition += 1;
      if (zeroCode === null) zeroCode = group;
      else if (group !== zeroCode) throw new ExpressionError({ code: "D3131" });
    } else if (codePoint === 0x23) {
      separatorPosition += 1;
      format.optionalDigits += 1;
    } else {
      separators.push({ position: separatorPosition, character: String.fromCodePoint(codePoint) });
    }
  }
  if (format.mandatoryDigits === 0) {
    // A "numbering sequence", which JSONata leaves to implementations and does not support.
    format.primary = "sequence";
    format.token = primaryFormat;
    return format;
  }
  format.zeroCode = zeroCode!;
  const interval = regularRepeat(separators);
  if (interval > 0) {
    format.regular = true;
    format.groupingSeparators = [{ position: interval, character: separators[0]!.character }];
  } else {
    format.groupingSeparators = separators;
  }
  return format;
}

/** Formats an integer by an analysed picture. */
export function formatWithPicture(runtime: Runtime | undefined, integer: number, format: IntegerFormat): string {
  const negative = integer < 0;
  const value = Math.abs(integer);
  let text: string;
  switch (format.primary) {
    case "letters":
      text = decimalToLetters(value, format.case === "upper" ? "A" : "a");
      break;
    case "roman":
      text = decimalToRoman(runtime, value);
      if (format.case === "upper") text = text.toUpperCase();
      break;
    case "words":
      text = numberToWords(value, format.ordinal);
      if (format.case === "upper") text = text.toUpperCase();
      else if (format.case === "lower") text = text.toLowerCase();
      break;
    case "decimal": {
      text = String(value);
      const padding = format.mandatoryDigits - text.length;
      if (padding > 0) text = "0".repeat(padding) + text;
      if (format.zeroCode !== 0x30)
        text = Array.from(text, (char) => String.fromCodePoint(char.codePointAt(0)! + format.zeroCode - 0x30)).join("");
      if (format.regular) {
        const { position, character } = format.groupingSeparators[0]!;
        const count = Math.floor((text.length - 1) / position);
        for (let index = count; index > 0; index -= 1) {
          const at = text.length - index * position;
          text = text.substring(0, at) + character + text.substring(at);
        }
      } else {
        for (const { position, character } of [...format.groupingSeparators].reverse()) {
          const at = text.length - position;
          text = text.substring(0, at) + character + text.substring(at);
        }
      }
      if (format.ordinal) {
        const suffixes: Record<string, string> = { "1": "st", "2": "nd", "3": "rd" };
        let suffix = suffixes[text.charAt(text.length - 1)];
        if (!suffix || (text.length > 1 && text.charAt(text.length - 2) === "1")) suffix = "th";
        text += suffix;
      }
      break;
    }
    default:
      throw new ExpressionError({ code: "D3130", value: format.token });
  }
  return negative ? `-${text}` : text;
}

export function formatInteger(runtime: Runtime, value: number, picture: string): string {
  return formatWithPicture(runtime, Math.floor(value), analyseIntegerPicture(picture));
}

export interface IntegerMatcher {
  regex: string;
  parse(text: string): number;
}

/** A regular expression reading an integer written by the picture, and its parser. */
export function integerMatcher(format: IntegerFormat): IntegerMatcher {
  const upper = format.case === "upper";
  switch (format.primary) {
    case "letters":
      return { regex: upper ? "[A-Z]+" : "[a-z]+", parse: (text) => lettersToDecimal(text, upper ? "A" : "a") };
    case "roman":
      return {
        regex: upper ? "[MDCLXVI]+" : "[mdclxvi]+",
        parse: (text) => romanToDecimal(upper ? text : text.toUpperCase()),
      };
    case "words":
      return {
        regex: `(?:${[...WORD_VALUES.keys(), "and", "[\\-, ]"].join("|")})+`,
        parse: (text) => wordsToNumber(text.toLowerCase()),
      };
    case "decimal": {
      let regex = format.parseWidth ? `[0-9]{${format.parseWidth}}` : "[0-9]+";
      if (format.ordinal) regex += "(?:th|st|nd|rd)";
      return {
        regex,
        parse: (text) => {
          let digits = format.ordinal ? text.substring(0, text.length - 2) : text;
          if (format.regular) digits = digits.split(",").join("");
          else for (const { character } of format.groupingSeparators) digits = digits.split(character).join("");
          if (format.zeroCode !== 0x30)
            digits = Array.from(digits, (char) =>
              String.fromCodePoint(char.codePointAt(0)! - format.zeroCode + 0x30),
            ).join("");
          return Number.parseInt(digits, 10);
        },
      };
    }
    default:
      throw new ExpressionError({ code: "D3130", value: format.token });
  }
}

export function parseInteger(value: string, picture: string): number {
  return integerMatcher(analyseIntegerPicture(picture)).parse(value);
}
