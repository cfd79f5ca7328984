import { RE2JS } from "re2js";
import type { BuiltinDefinition } from "./builtin-functions";
import type { Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import {
  analyseIntegerPicture,
  formatWithPicture,
  type IntegerFormat,
  type IntegerMatcher,
  integerMatcher,
} from "./integer-pictures";

/**
 * $now, $millis, $fromMillis and $toMillis: timestamps as epoch milliseconds and as text, in
 * ISO 8601 or by an XPath fn:format-dateTime picture (`[Y0001]-[M01]-[D01]`, `[FNn], [D1o] [MNn]`).
 * Times are UTC unless a timezone (`+hhmm`) is given.
 */

type NameCase = "upper" | "lower" | "title";

interface LiteralPart {
  type: "literal";
  value: string;
}

interface MarkerPart {
  type: "marker";
  component: string;
  width?: { min: number | undefined; max: number | undefined };
  presentation1: string;
  presentation2?: string;
  ordinal?: boolean;
  names?: NameCase;
  integerFormat?: IntegerFormat;
  /** Digits of the year to show (`[Y,2]`), or -1 for all. */
  yearDigits?: number;
}

type PicturePart = LiteralPart | MarkerPart;

const DEFAULT_PRESENTATION: Record<string, string> = {
  Y: "1",
  M: "1",
  D: "1",
  d: "1",
  F: "n",
  W: "1",
  w: "1",
  X: "1",
  x: "1",
  H: "1",
  h: "1",
  P: "n",
  m: "01",
  s: "01",
  f: "1",
  Z: "01:01",
  z: "01:01",
  C: "n",
  E: "n",
};

function analyseDateTimePicture(picture: string): PicturePart[] {
  const parts: PicturePart[] = [];
  const addLiteral = (start: number, end: number) => {
    if (end > start) parts.push({ type: "literal", value: picture.substring(start, end).split("]]").join("]") });
  };
  let start = 0;
  let position = 0;
  while (position < picture.length) {
    if (picture.charAt(position) === "[") {
      if (picture.charAt(position + 1) === "[") {
        addLiteral(start, position);
        parts.push({ type: "literal", value: "[" });
        position += 2;
        start = position;
        continue;
      }
      addLiteral(start, position);
      start = position;
      position = picture.indexOf("]", start);
      if (position === -1) throw new ExpressionError({ code: "D3135" });
      parts.push(
        analyseMarker(
          picture
            .substring(start + 1, position)
            .split(/\s+/)
            .join(""),
          parts,
        ),
      );
      start = position + 1;
    }
    position += 1;
  }
  addLiteral(start, position);
  return parts;
}

function analyseMarker(marker: string, previousParts: PicturePart[]): MarkerPart {
  const component = marker.charAt(0);
  const part: MarkerPart = { type: "marker", component, presentation1: "" };
  const comma = marker.lastIndexOf(",");
  let modifiers: string;
  if (comma !== -1) {
    const widthModifier = marker.substring(comma + 1);
    const dash = widthModifier.indexOf("-");
    const parseWidth = (text: string | undefined) =>
      text === undefined || text === "*" ? undefined : Number.parseInt(text, 10);
    part.width =
      dash === -1
        ? { min: parseWidth(widthModifier), max: undefined }
        : { min: parseWidth(widthModifier.substring(0, dash)), max: parseWidth(widthModifier.substring(dash + 1)) };
    modifiers = marker.substring(1, comma);
  } else {
    modifiers = marker.substring(1);
  }
  if (modifiers.length === 1) {
    part.presentation1 = modifiers;
  } else if (modifiers.length > 1) {
    const last = modifiers.charAt(modifiers.length - 1);
    if ("atco".includes(last)) {
      part.presentation2 = last;
      if (last === "o") part.ordinal = true;
      part.presentation1 = modifiers.substring(0, modifiers.length - 1);
    } else {
      part.presentation1 = modifiers;
    }
  } else {
    const presentation = DEFAULT_PRESENTATION[component];
    if (presentation === undefined) throw new ExpressionError({ code: "D3132", value: component });
    part.presentation1 = presentation;
  }
  if (part.presentation1.charAt(0) === "n") part.names = "lower";
  else if (part.presentation1.charAt(0) === "N") part.names = part.presentation1.charAt(1) === "n" ? "title" : "upper";
  else if ("YMDdFWwXxHhmsf".includes(component)) {
    const integerPicture = part.presentation2 ? `${part.presentation1};${part.presentation2}` : part.presentation1;
    const format = analyseIntegerPicture(integerPicture);
    part.integerFormat = format;
    if (part.width?.min !== undefined && format.mandatoryDigits < part.width.min)
      format.mandatoryDigits = part.width.min;
    if (component === "Y") {
      part.yearDigits = -1;
      if (part.width?.max !== undefined) {
        part.yearDigits = part.width.max;
        format.mandatoryDigits = part.width.max;
      } else {
        const width = format.mandatoryDigits + format.optionalDigits;
        if (width >= 2) part.yearDigits = width;
      }
    }
    // Two integers side by side with no literal between them: the first is read by its width.
    const previous = previousParts[previousParts.length - 1];
    if (previous?.type === "marker" && previous.integerFormat)
      previous.integerFormat.parseWidth = previous.integerFormat.mandatoryDigits;
  }
  if (component === "Z" || component === "z") part.integerFormat = analyseIntegerPicture(part.presentation1);
  return part;
}

const DAYS = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const MILLIS_IN_A_DAY = 1000 * 60 * 60 * 24;

/** ISO 8601: week 1 of a year (or month) is the one with its first Thursday; weeks start on Monday. */
function startOfFirstWeek(year: number, month: number): number {
  const first = Date.UTC(year, month);
  let day = new Date(first).getUTCDay();
  if (day === 0) day = 7;
  return day > 4 ? first + (8 - day) * MILLIS_IN_A_DAY : first - (day - 1) * MILLIS_IN_A_DAY;
}

function nextMonth(year: number, month: number): [number, number] {
  return month === 11 ? [year + 1, 0] : [year, month + 1];
}

function previousMonth(year: number, month: number): [number, number] {
  return month === 0 ? [year - 1, 11] : [year, month - 1];
}

function weeksBetween(start: number, end: number): number {
  return (end - start) / (MILLIS_IN_A_DAY * 7) + 1;
}

function componentValue(date: Date, component: string): number | string | undefined {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  switch (component) {
    case "Y":
      return year;
    case "M":
      return month + 1;
    case "D":
      return date.getUTCDate();
    case "d":
      return (Date.UTC(year, month, date.getUTCDate()) - Date.UTC(year, 0)) / MILLIS_IN_A_DAY + 1;
    case "F": {
      const day = date.getUTCDay();
      return day === 0 ? 7 : day;
    }
    case "W": {
      const today = Date.UTC(year, month, date.getUTCDate());
      let week = weeksBetween(startOfFirstWeek(year, 0), today);
      if (week > 52) {
        if (today >= startOfFirstWeek(year + 1, 0)) week = 1;
      } else if (week < 1) {
        week = weeksBetween(startOfFirstWeek(year - 1, 0), today);
      }
      return Math.floor(week);
    }
    case "w": {
      const today = Date.UTC(year, month, date.getUTCDate());
      let week = weeksBetween(startOfFirstWeek(year, month), today);
      if (week > 4) {
        if (today >= startOfFirstWeek(...nextMonth(year, month))) week = 1;
      } else if (week < 1) {
        week = weeksBetween(startOfFirstWeek(...previousMonth(year, month)), today);
      }
      return Math.floor(week);
    }
    case "X": {
      const now = date.getTime();
      if (now < startOfFirstWeek(year, 0)) return year - 1;
      if (now >= startOfFirstWeek(year + 1, 0)) return year + 1;
      return year;
    }
    case "x": {
      const now = date.getTime();
      const [nextYear, next] = nextMonth(year, month);
      if (now < startOfFirstWeek(year, month)) return previousMonth(year, month)[1] + 1;
      if (now >= startOfFirstWeek(nextYear, next)) return next + 1;
      return month + 1;
    }
    case "H":
      return date.getUTCHours();
    case "h": {
      const hour = date.getUTCHours() % 12;
      return hour === 0 ? 12 : hour;
    }
    case "P":
      return date.getUTCHours() >= 12 ? "pm" : "am";
    case "m":
      return date.getUTCMinutes();
    case "s":
      return date.getUTCSeconds();
    case "f":
      return date.getUTCMilliseconds();
    case "C":
    case "E":
      return "ISO";
    default:
      return undefined;
  }
}

function applyCase(text: string, names: NameCase | undefined): string {
  if (names === "upper") return text.toUpperCase();
  if (names === "lower") return text.toLowerCase();
  return text;
}

function formatComponent(date: Date, part: MarkerPart, offsetHours: number, offsetMinutes: number): string {
  let value = componentValue(date, part.component);
  const { component } = part;
  if ("YMDdFWwXxHhms".includes(component)) {
    if (component === "Y" && part.yearDigits !== -1) value = (value as number) % 10 ** part.yearDigits!;
    if (part.names) {
      let name: string;
      if (component === "M" || component === "x") name = MONTHS[(value as number) - 1]!;
      else if (component === "F") name = DAYS[value as number]!;
      else throw new ExpressionError({ code: "D3133", value: component });
      name = applyCase(name, part.names);
      if (part.width && part.width.max !== undefined && name.length > part.width.max)
        name = name.substring(0, part.width.max);
      return name;
    }
    return formatWithPicture(undefined, value as number, part.integerFormat!);
  }
  if (component === "f") return formatWithPicture(undefined, value as number, part.integerFormat!);
  if (component === "Z" || component === "z") {
    const offset = offsetHours * 100 + offsetMinutes;
    const format = part.integerFormat!;
    let text: string;
    if (format.regular) {
      text = formatWithPicture(undefined, offset, format);
    } else {
      const digits = format.mandatoryDigits;
      if (digits === 1 || digits === 2) {
        text = formatWithPicture(undefined, offsetHours, format);
        if (offsetMinutes !== 0) text += `:${formatWithPicture(undefined, offsetMinutes, analyseIntegerPicture("00"))}`;
      } else if (digits === 3 || digits === 4) {
        text = formatWithPicture(undefined, offset, format);
      } else {
        throw new ExpressionError({ code: "D3134", value: digits });
      }
    }
    if (offset >= 0) text = `+${text}`;
    if (component === "z") text = `GMT${text}`;
    if (offset === 0 && part.presentation2 === "t") text = "Z";
    return text;
  }
  if (component === "P") return part.names === "upper" ? String(value).toUpperCase() : String(value);
  return value === undefined ? "undefined" : String(value);
}

let isoPicture: PicturePart[] | undefined;

function formatDateTime(millis: number, picture: string | undefined, timezone: string | undefined): string {
  let offsetHours = 0;
  let offsetMinutes = 0;
  if (timezone !== undefined) {
    const offset = Number.parseInt(timezone, 10);
    offsetHours = Math.floor(offset / 100);
    offsetMinutes = offset % 100;
  }
  const parts =
    picture === undefined
      ? (isoPicture ??= analyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"))
      : analyseDateTimePicture(picture);
  const date = new Date(millis + (60 * offsetHours + offsetMinutes) * 60 * 1000);
  let result = "";
  for (const part of parts)
    result += part.type === "literal" ? part.value : formatComponent(date, part, offsetHours, offsetMinutes);
  return result;
}

interface ComponentMatcher {
  regex: string;
  component?: string;
  parse?: (text: string) => number | undefined;
}

function timezoneMatcher(part: MarkerPart): ComponentMatcher {
  const format = part.integerFormat!;
  const separator = format.regular ? format.groupingSeparators[0]!.character : undefined;
  let regex = part.component === "z" ? "GMT" : "";
  regex += "[-+][0-9]+";
  if (separator) regex += `${separator}[0-9]+`;
  return {
    regex,
    component: part.component,
    parse: (raw) => {
      const value = part.component === "z" ? raw.substring(3) : raw;
      let hours = 0;
      let minutes = 0;
      if (separator) {
        hours = Number.parseInt(value.substring(0, value.indexOf(separator)), 10);
        minutes = Number.parseInt(value.substring(value.indexOf(separator) + 1), 10);
      } else if (value.length - 1 <= 2) {
        hours = Number.parseInt(value, 10);
      } else {
        hours = Number.parseInt(value.substring(0, 3), 10);
        minutes = Number.parseInt(value.substring(3), 10);
      }
      return hours * 60 + minutes;
    },
  };
}

function nameMatcher(part: MarkerPart): ComponentMatcher {
  const lookup = new Map<string, number>();
  const shorten = (name: string) => (part.width?.max ? name.substring(0, part.width.max) : name);
  if (part.component === "M" || part.component === "x")
    MONTHS.forEach((name, index) => lookup.set(shorten(name), index + 1));
  else if (part.component === "F") DAYS.forEach((name, index) => index > 0 && lookup.set(shorten(name), index));
  else if (part.component === "P")
    for (const [name, value] of Object.entries({ am: 0, AM: 0, pm: 1, PM: 1 })) lookup.set(name, value);
  else throw new ExpressionError({ code: "D3133", value: part.component });
  return { regex: "[a-zA-Z]+", component: part.component, parse: (text) => lookup.get(text) };
}

function componentMatcher(part: PicturePart): ComponentMatcher {
  if (part.type === "literal") return { regex: part.value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") };
  if (part.component === "Z" || part.component === "z") return timezoneMatcher(part);
  if (part.component === "f")
    return {
      regex: "[0-9]+",
      component: "f",
      parse: (text) => Number.parseFloat(`0.${text.substring(0, 3)}`) * 1000,
    };
  if (part.integerFormat) {
    const matcher: IntegerMatcher = integerMatcher(part.integerFormat);
    return { regex: matcher.regex, component: part.component, parse: matcher.parse };
  }
  return nameMatcher(part);
}

// Date and time component sets a picture can give, as bits (see parseDateTime).
const DATE_A = 0b10100001; // Y M D
const DATE_B = 0b10000010; // Y d
const DATE_C = 0b01010100; // X x w F
const DATE_D = 0b01001000; // X W F
const TIME_A = 0b010111; // H m s f
const TIME_B = 0b101111; // P h m s f

interface TimestampParser {
  matchers: ComponentMatcher[];
  pattern: RE2JS;
}

const parsers = new Map<string, TimestampParser>();
const MAX_CACHED_PARSERS = 100;

/** The picture's reader, cached: pictures are usually literals in the expression. */
function timestampParser(picture: string): TimestampParser {
  let parser = parsers.get(picture);
  if (parser) return parser;
  const matchers = analyseDateTimePicture(picture).map(componentMatcher);
  // RE2 (linear time), as for regex literals: the timestamp is data.
  const pattern = RE2JS.compile(matchers.map((matcher) => `(${matcher.regex})`).join(""), RE2JS.CASE_INSENSITIVE);
  parser = { matchers, pattern };
  if (parsers.size >= MAX_CACHED_PARSERS) parsers.clear();
  parsers.set(picture, parser);
  return parser;
}

function parseDateTime(runtime: Runtime, timestamp: string, picture: string): number | undefined {
  const { matchers, pattern } = timestampParser(picture);
  const found = pattern.matcher(timestamp);
  if (!found.matches()) return undefined;
  const components: Record<string, number | undefined> = {};
  for (let index = 1; index <= matchers.length; index += 1) {
    const matcher = matchers[index - 1]!;
    if (matcher.parse) components[matcher.component!] = matcher.parse(found.group(index) ?? "");
  }
  if (Object.keys(components).length === 0) return undefined;

  const maskOf = (letters: string) => {
    let mask = 0;
    for (const letter of letters) mask = (mask << 1) + (components[letter] !== undefined ? 1 : 0);
    return mask;
  };
  const isType = (type: number, mask: number) => !(~type & mask) && !!(type & mask);
  const dateMask = maskOf("YXMxWwdD");
  const timeMask = maskOf("PHhmsf");
  const dateA = isType(DATE_A, dateMask);
  const dateB = !dateA && isType(DATE_B, dateMask);
  const dateC = isType(DATE_C, dateMask);
  const dateD = !dateC && isType(DATE_D, dateMask);
  const timeA = isType(TIME_A, timeMask);
  const timeB = !timeA && isType(TIME_B, timeMask);
  const dateComponents = dateB ? "YD" : dateC ? "XxwF" : dateD ? "XWF" : "YMD";
  const timeComponents = timeB ? "Phmsf" : "Hmsf";

  // Missing components before the first given one come from $now(); after it, they are zero.
  const now = new Date(runtime.nowMillis());
  let startSpecified = false;
  let endSpecified = false;
  for (const letter of dateComponents + timeComponents) {
    if (components[letter] === undefined) {
      if (startSpecified) {
        components[letter] = "MDd".includes(letter) ? 1 : 0;
        endSpecified = true;
      } else {
        components[letter] = componentValue(now, letter) as number;
      }
    } else {
      startSpecified = true;
      if (endSpecified) throw new ExpressionError({ code: "D3136" });
    }
  }
  const month = components.M! > 0 ? components.M! - 1 : 0;
  let day = components.D!;
  let monthIndex = month;
  if (dateB) {
    const derived = new Date(Date.UTC(components.Y!, 0) + (components.d! - 1) * MILLIS_IN_A_DAY);
    monthIndex = derived.getUTCMonth();
    day = derived.getUTCDate();
  }
  if (dateC || dateD) throw new ExpressionError({ code: "D3136" });
  let hours = components.H!;
  if (timeB) {
    hours = components.h === 12 ? 0 : components.h!;
    if (components.P === 1) hours += 12;
  }
  let millis = Date.UTC(components.Y!, monthIndex, day, hours, components.m, components.s, components.f);
  const zone = components.Z || components.z;
  if (zone) millis -= zone * 60 * 1000;
  return millis;
}

const ISO_8601 = /^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$/;

function fromMillis(millis: number, picture: string | undefined, timezone: string | undefined): string {
  if (picture === undefined && timezone === undefined) {
    const date = new Date(millis);
    const year = date.getUTCFullYear();
    // toISOString writes what the ISO picture would, for four-digit years.
    if (year >= 0 && year <= 9999) return date.toISOString();
  }
  return formatDateTime(millis, picture, timezone);
}

export const dateTimeFunctions: Record<string, BuiltinDefinition> = {
  now: {
    signature: "<s?s?:s>",
    arity: 2,
    implementation: ([picture, timezone], runtime) =>
      fromMillis(runtime.nowMillis(), picture as string | undefined, timezone as string | undefined),
  },
  millis: { signature: "<:n>", arity: 0, implementation: (_args, runtime) => runtime.nowMillis() },
  fromMillis: {
    signature: "<n-s?s?:s>",
    arity: 3,
    implementation: ([millis, picture, timezone]) =>
      millis === undefined
        ? undefined
        : fromMillis(millis as number, picture as string | undefined, timezone as string | undefined),
  },
  toMillis: {
    signature: "<s-s?:n>",
    arity: 2,
    implementation: ([timestamp, picture], runtime) => {
      if (timestamp === undefined) return undefined;
      if (picture === undefined) {
        if (!ISO_8601.test(timestamp as string)) throw new ExpressionError({ code: "D3110", value: timestamp });
        return Date.parse(timestamp as string);
      }
      return parseDateTime(runtime, timestamp as string, picture as string);
    },
  },
};
