import type { Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { roundHalfEven } from "./numeric-functions";

/**
 * $formatNumber: XPath 3.1 fn:format-number pictures (`#,##0.00`, `0.0e0`, `00%`...), with the
 * decimal format's characters overridable through the options object.
 */

const DEFAULT_FORMAT: Record<string, string> = {
  "decimal-separator": ".",
  "grouping-separator": ",",
  "exponent-separator": "e",
  infinity: "Infinity",
  "minus-sign": "-",
  NaN: "NaN",
  percent: "%",
  "per-mille": "\u2030",
  "zero-digit": "0",
  digit: "#",
  "pattern-separator": ";",
};

interface PictureParts {
  prefix: string;
  suffix: string;
  activePart: string;
  mantissaPart: string;
  exponentPart: string | undefined;
  integerPart: string;
  fractionalPart: string;
  subpicture: string;
}

interface PictureFormat {
  integerGroupingPositions: number[];
  regularGrouping: number;
  minimumIntegerPartSize: number;
  scalingFactor: number;
  prefix: string;
  fractionalGroupingPositions: number[];
  minimumFractionalPartSize: number;
  maximumFractionalPartSize: number;
  minimumExponentSize: number;
  suffix: string;
  picture: string;
}

class DecimalFormat {
  readonly digits: string[];
  readonly activeChars: string[];

  constructor(readonly properties: Record<string, string>) {
    const zero = properties["zero-digit"]!.charCodeAt(0);
    this.digits = Array.from({ length: 10 }, (_, offset) => String.fromCharCode(zero + offset));
    this.activeChars = [
      ...this.digits,
      properties["decimal-separator"]!,
      properties["exponent-separator"]!,
      properties["grouping-separator"]!,
      properties.digit!,
      properties["pattern-separator"]!,
    ];
  }

  get(name: string): string {
    return this.properties[name]!;
  }

  isDigit(char: string): boolean {
    return this.digits.includes(char);
  }

  isActive(char: string): boolean {
    return this.activeChars.includes(char);
  }

  countDigits(text: string, orOptional = false): number {
    let count = 0;
    for (const char of text) if (this.isDigit(char) || (orOptional && char === this.get("digit"))) count += 1;
    return count;
  }
}

function splitParts(format: DecimalFormat, subpicture: string): PictureParts {
  const exponentSeparator = format.get("exponent-separator");
  const isBoundary = (char: string) => format.isActive(char) && char !== exponentSeparator;
  let prefix = "";
  for (let index = 0; index < subpicture.length; index += 1) {
    if (isBoundary(subpicture.charAt(index))) {
      prefix = subpicture.substring(0, index);
      break;
    }
  }
  let suffix = "";
  for (let index = subpicture.length - 1; index >= 0; index -= 1) {
    if (isBoundary(subpicture.charAt(index))) {
      suffix = subpicture.substring(index + 1);
      break;
    }
  }
  const activePart = subpicture.substring(prefix.length, subpicture.length - suffix.length);
  const exponentPosition = subpicture.indexOf(exponentSeparator, prefix.length);
  let mantissaPart: string;
  let exponentPart: string | undefined;
  if (exponentPosition === -1 || exponentPosition > subpicture.length - suffix.length) {
    mantissaPart = activePart;
    exponentPart = undefined;
  } else {
    mantissaPart = activePart.substring(0, exponentPosition);
    exponentPart = activePart.substring(exponentPosition + 1);
  }
  const decimalPosition = mantissaPart.indexOf(format.get("decimal-separator"));
  const integerPart = decimalPosition === -1 ? mantissaPart : mantissaPart.substring(0, decimalPosition);
  const fractionalPart = decimalPosition === -1 ? suffix : mantissaPart.substring(decimalPosition + 1);
  return { prefix, suffix, activePart, mantissaPart, exponentPart, integerPart, fractionalPart, subpicture };
}

/** The picture's rules (F&O 4.7.3); the last broken rule names the error, as in JSONata. */
function validate(format: DecimalFormat, parts: PictureParts): void {
  const { subpicture } = parts;
  const decimal = format.get("decimal-separator");
  const grouping = format.get("grouping-separator");
  const percent = format.get("percent");
  const perMille = format.get("per-mille");
  const digit = format.get("digit");
  const once = (char: string) => subpicture.indexOf(char) === subpicture.lastIndexOf(char);
  let error: string | undefined;
  const decimalPosition = subpicture.indexOf(decimal);
  if (!once(decimal)) error = "D3081";
  if (!once(percent)) error = "D3082";
  if (!once(perMille)) error = "D3083";
  if (subpicture.includes(percent) && subpicture.includes(perMille)) error = "D3084";
  if (format.countDigits(parts.mantissaPart, true) === 0) error = "D3085";
  for (const char of parts.activePart) if (!format.isActive(char)) error = "D3086";
  if (decimalPosition !== -1) {
    if (subpicture.charAt(decimalPosition - 1) === grouping || subpicture.charAt(decimalPosition + 1) === grouping)
      error = "D3087";
  } else if (parts.integerPart.charAt(parts.integerPart.length - 1) === grouping) {
    error = "D3088";
  }
  if (subpicture.includes(grouping + grouping)) error = "D3089";
  const optionalInteger = parts.integerPart.indexOf(digit);
  if (optionalInteger !== -1 && format.countDigits(parts.integerPart.substring(0, optionalInteger)) > 0)
    error = "D3090";
  const optionalFraction = parts.fractionalPart.lastIndexOf(digit);
  if (optionalFraction !== -1 && format.countDigits(parts.fractionalPart.substring(optionalFraction)) > 0)
    error = "D3091";
  const exponent = parts.exponentPart;
  if (exponent !== undefined && exponent.length > 0 && (subpicture.includes(percent) || subpicture.includes(perMille)))
    error = "D3092";
  if (exponent !== undefined && (exponent.length === 0 || format.countDigits(exponent) !== exponent.length))
    error = "D3093";
  if (error) throw new ExpressionError({ code: error });
}

function groupingPositions(format: DecimalFormat, part: string, integerPart: string, toLeft: boolean): number[] {
  const grouping = format.get("grouping-separator");
  const positions: number[] = [];
  let at = part.indexOf(grouping);
  while (at !== -1) {
    positions.push(format.countDigits(toLeft ? part.substring(0, at) : part.substring(at), true));
    // As JSONata does, the next separator is searched for in the integer part.
    at = integerPart.indexOf(grouping, at + 1);
  }
  return positions;
}

function regularInterval(positions: number[]): number {
  if (positions.length === 0) return 0;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const factor = positions.reduce(gcd);
  for (let index = 1; index <= positions.length; index += 1) if (!positions.includes(index * factor)) return 0;
  return factor;
}

function analyse(format: DecimalFormat, parts: PictureParts): PictureFormat {
  const integerGroupingPositions = groupingPositions(format, parts.integerPart, parts.integerPart, false);
  let minimumIntegerPartSize = format.countDigits(parts.integerPart);
  const scalingFactor = minimumIntegerPartSize;
  let minimumFractionalPartSize = format.countDigits(parts.fractionalPart);
  let maximumFractionalPartSize = format.countDigits(parts.fractionalPart, true);
  const exponentPresent = parts.exponentPart !== undefined;
  if (minimumIntegerPartSize === 0 && maximumFractionalPartSize === 0) {
    if (exponentPresent) {
      minimumFractionalPartSize = 1;
      maximumFractionalPartSize = 1;
    } else {
      minimumIntegerPartSize = 1;
    }
  }
  if (exponentPresent && minimumIntegerPartSize === 0 && parts.integerPart.includes(format.get("digit")))
    minimumIntegerPartSize = 1;
  if (minimumIntegerPartSize === 0 && minimumFractionalPartSize === 0) minimumFractionalPartSize = 1;
  return {
    integerGroupingPositions,
    regularGrouping: regularInterval(integerGroupingPositions),
    minimumIntegerPartSize,
    scalingFactor,
    prefix: parts.prefix,
    fractionalGroupingPositions: groupingPositions(format, parts.fractionalPart, parts.integerPart, true),
    minimumFractionalPartSize,
    maximumFractionalPartSize,
    minimumExponentSize: exponentPresent ? format.countDigits(parts.exponentPart!) : 0,
    suffix: parts.suffix,
    picture: parts.subpicture,
  };
}

function insertAt(text: string, at: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at);
}

export function formatNumber(
  runtime: Runtime,
  value: number,
  picture: string,
  options: Record<string, unknown> | undefined,
): string {
  if (!Number.isFinite(value)) throw new ExpressionError({ code: "D1001", value });
  const properties = { ...DEFAULT_FORMAT };
  if (options) for (const key of Object.keys(options)) properties[key] = String(options[key]);
  const format = new DecimalFormat(properties);
  const subPictures = picture.split(format.get("pattern-separator"));
  if (subPictures.length > 2) throw new ExpressionError({ code: "D3080" });
  const parts = subPictures.map((subpicture) => splitParts(format, subpicture));
  for (const part of parts) validate(format, part);
  const pictures = parts.map((part) => analyse(format, part));
  const minus = format.get("minus-sign");
  const zero = format.get("zero-digit");
  const decimal = format.get("decimal-separator");
  const grouping = format.get("grouping-separator");
  if (pictures.length === 1) pictures.push({ ...pictures[0]!, prefix: minus + pictures[0]!.prefix });
  const pic = value >= 0 ? pictures[0]! : pictures[1]!;

  let adjusted = value;
  if (pic.picture.includes(format.get("percent"))) adjusted = value * 100;
  else if (pic.picture.includes(format.get("per-mille"))) adjusted = value * 1000;

  let mantissa = adjusted;
  let exponent: number | undefined;
  if (pic.minimumExponentSize !== 0) {
    const maxMantissa = 10 ** pic.scalingFactor;
    const minMantissa = 10 ** (pic.scalingFactor - 1);
    exponent = 0;
    // Zero keeps exponent 0 (F&O); comparing magnitudes makes negative numbers terminate too.
    if (mantissa !== 0) {
      while (Math.abs(mantissa) < minMantissa) {
        mantissa *= 10;
        exponent -= 1;
      }
      while (Math.abs(mantissa) > maxMantissa) {
        mantissa /= 10;
        exponent += 1;
      }
    }
  }
  if (pic.maximumFractionalPartSize > 100)
    throw new ExpressionError({ code: "U1000", detail: "a picture may ask for at most 100 fraction digits" });
  const rounded = roundHalfEven(mantissa, pic.maximumFractionalPartSize);
  const inDigits = (number: number, places: number) => {
    const text = Math.abs(number).toFixed(places);
    if (zero === "0") return text;
    return text.replace(/[0-9]/g, (digit) => format.digits[digit.charCodeAt(0) - 48]!);
  };
  let text = inDigits(rounded, pic.maximumFractionalPartSize);
  text = text.includes(".") ? text.replace(".", decimal) : text + decimal;
  while (text.charAt(0) === zero) text = text.substring(1);
  while (text.charAt(text.length - 1) === zero) text = text.substring(0, text.length - 1);

  let decimalPosition = text.indexOf(decimal);
  const padLeft = pic.minimumIntegerPartSize - decimalPosition;
  const padRight = pic.minimumFractionalPartSize - (text.length - decimalPosition - 1);
  runtime.checkStringLength(text.length + Math.max(0, padLeft) + Math.max(0, padRight));
  text = (padLeft > 0 ? zero.repeat(padLeft) : "") + text + (padRight > 0 ? zero.repeat(padRight) : "");
  decimalPosition = text.indexOf(decimal);
  if (pic.regularGrouping > 0) {
    const groups = Math.floor((decimalPosition - 1) / pic.regularGrouping);
    for (let group = 1; group <= groups; group += 1)
      text = insertAt(text, decimalPosition - group * pic.regularGrouping, grouping);
  } else {
    for (const position of pic.integerGroupingPositions) {
      text = insertAt(text, decimalPosition - position, grouping);
      decimalPosition += 1;
    }
  }
  decimalPosition = text.indexOf(decimal);
  for (const position of pic.fractionalGroupingPositions)
    text = insertAt(text, position + decimalPosition + 1, grouping);
  decimalPosition = text.indexOf(decimal);
  if (!pic.picture.includes(decimal) || decimalPosition === text.length - 1) text = text.substring(0, text.length - 1);
  if (exponent !== undefined) {
    let exponentText = inDigits(exponent, 0);
    const exponentPad = pic.minimumExponentSize - exponentText.length;
    if (exponentPad > 0) exponentText = zero.repeat(exponentPad) + exponentText;
    text = `${text}${format.get("exponent-separator")}${exponent < 0 ? minus : ""}${exponentText}`;
  }
  return pic.prefix + text + pic.suffix;
}
