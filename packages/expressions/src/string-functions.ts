import type { BuiltinDefinition } from "./builtin-functions";
import type { Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { invokeProcedure } from "./procedure";
import { callMatcher, type MatchResult, nextMatch } from "./regex-procedure";
import { sequence } from "./sequence";
import { codePointLength, codePoints, isSimpleString, toJsonataString } from "./value-semantics";

/** JSONata's string functions; undefined input gives undefined, as everywhere in JSONata. */

function substring(text: string, start: number, length: number | undefined): string {
  const chars: string | string[] = isSimpleString(text) ? text : codePoints(text);
  const size = chars.length;
  let from = start;
  if (size + from < 0) from = 0;
  if (length !== undefined) {
    if (length <= 0) return "";
    const end = from >= 0 ? from + length : size + from + length;
    return typeof chars === "string" ? chars.slice(from, end) : chars.slice(from, end).join("");
  }
  return typeof chars === "string" ? chars.slice(from) : chars.slice(from).join("");
}

function pad(runtime: Runtime, text: string, width: number, fill: string | undefined): string {
  const chars = fill === undefined || fill.length === 0 ? " " : fill;
  const target = Math.trunc(width);
  const missing = Math.abs(target) - codePointLength(text);
  if (!(missing > 0)) return text;
  runtime.checkStringLength(text.length + missing);
  let padding = chars.repeat(Math.ceil(missing / Math.max(1, codePointLength(chars))));
  if (codePointLength(padding) !== missing) padding = substring(padding, 0, missing);
  return target > 0 ? text + padding : padding + text;
}

/** `$1`... in a replacement string: JSONata's rules for which digits name a group. */
function expandReplacement(replacement: string, found: MatchResult): string {
  let result = "";
  let position = 0;
  let dollar = replacement.indexOf("$", position);
  while (dollar !== -1 && position < replacement.length) {
    result += replacement.substring(position, dollar);
    position = dollar + 1;
    const next = replacement.charAt(position);
    if (next === "$") {
      result += "$";
      position += 1;
    } else if (next === "0") {
      result += found.match;
      position += 1;
    } else {
      const groupCount = found.groups.length;
      const maxDigits = groupCount === 0 ? 1 : Math.floor(Math.log10(groupCount)) + 1;
      let group = Number.parseInt(replacement.substring(position, position + maxDigits), 10);
      if (maxDigits > 1 && group > groupCount)
        group = Number.parseInt(replacement.substring(position, position + maxDigits - 1), 10);
      if (Number.isNaN(group)) {
        result += "$";
      } else {
        if (groupCount > 0) result += found.groups[group - 1] ?? "";
        position += String(group).length;
      }
    }
    dollar = replacement.indexOf("$", position);
  }
  return result + replacement.substring(position);
}

function encodeLatin1Base64(text: string): string {
  let binary = "";
  for (let index = 0; index < text.length; index += 1) binary += String.fromCharCode(text.charCodeAt(index) & 0xff);
  return btoa(binary);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes base64 leniently (characters outside the alphabet are skipped), to Latin-1 text. */
function decodeBase64(text: string): string {
  let result = "";
  let bits = 0;
  let buffered = 0;
  for (const char of text) {
    if (char === "=") break;
    const value = char === "-" ? 62 : char === "_" ? 63 : BASE64.indexOf(char);
    if (value < 0) continue;
    buffered = (buffered << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      result += String.fromCharCode((buffered >> bits) & 0xff);
    }
  }
  return result;
}

function urlFunction(name: string, convert: (text: string) => string): BuiltinDefinition {
  return {
    signature: "<s-:s>",
    arity: 1,
    implementation: ([text], runtime) => {
      if (text === undefined) return undefined;
      let converted: string;
      try {
        converted = convert(text as string);
      } catch {
        throw new ExpressionError({ code: "D3140", value: text, functionName: name });
      }
      return runtime.checkString(converted);
    },
  };
}

export const stringFunctions: Record<string, BuiltinDefinition> = {
  string: {
    signature: "<x-b?:s>",
    arity: 1,
    parameters: 2,
    implementation: ([value, prettify], runtime) => {
      const text = toJsonataString(value, prettify === true);
      return text === undefined ? undefined : runtime.checkString(text);
    },
  },
  substring: {
    signature: "<s-nn?:s>",
    arity: 3,
    implementation: ([text, start, length]) =>
      text === undefined ? undefined : substring(text as string, start as number, length as number | undefined),
  },
  substringBefore: {
    signature: "<s-s:s>",
    arity: 2,
    implementation: ([text, chars]) => {
      if (text === undefined) return undefined;
      const at = (text as string).indexOf(String(chars));
      return at > -1 ? (text as string).substring(0, at) : text;
    },
  },
  substringAfter: {
    signature: "<s-s:s>",
    arity: 2,
    implementation: ([text, chars]) => {
      if (text === undefined) return undefined;
      const at = (text as string).indexOf(String(chars));
      return at > -1 ? (text as string).substring(at + String(chars).length) : text;
    },
  },
  lowercase: {
    signature: "<s-:s>",
    arity: 1,
    implementation: ([text]) => (text === undefined ? undefined : (text as string).toLowerCase()),
  },
  uppercase: {
    signature: "<s-:s>",
    arity: 1,
    implementation: ([text]) => (text === undefined ? undefined : (text as string).toUpperCase()),
  },
  length: {
    signature: "<s-:n>",
    arity: 1,
    implementation: ([text]) => (text === undefined ? undefined : codePointLength(text as string)),
  },
  trim: {
    signature: "<s-:s>",
    arity: 1,
    implementation: ([text]) => {
      if (text === undefined) return undefined;
      let result = (text as string).replace(/[ \t\n\r]+/gm, " ");
      if (result.charAt(0) === " ") result = result.substring(1);
      if (result.charAt(result.length - 1) === " ") result = result.substring(0, result.length - 1);
      return result;
    },
  },
  pad: {
    signature: "<s-ns?:s>",
    arity: 3,
    implementation: ([text, width, fill], runtime) =>
      text === undefined ? undefined : pad(runtime, text as string, width as number, fill as string | undefined),
  },
  contains: {
    signature: "<s-(sf):b>",
    arity: 2,
    implementation: ([text, token], runtime, _input, frame) => {
      if (text === undefined || token === undefined) return undefined;
      if (typeof token === "string") return (text as string).includes(token);
      return callMatcher(token, text as string, runtime, frame) !== undefined;
    },
  },
  match: {
    signature: "<s-f<s:o>n?:a<o>>",
    arity: 3,
    implementation: ([text, matcher, limit], runtime, _input, frame) => {
      if (text === undefined) return undefined;
      if ((limit as number) < 0) throw new ExpressionError({ code: "D3040", value: limit, index: 3 });
      const result = sequence();
      if (limit === undefined || (limit as number) > 0) {
        let found = callMatcher(matcher, text as string, runtime, frame);
        while (found !== undefined && (limit === undefined || result.length < (limit as number))) {
          result.push({ match: found.match, index: found.start, groups: found.groups });
          runtime.checkArrayLength(result.length);
          found = nextMatch(found, runtime, frame);
        }
      }
      return result;
    },
  },
  replace: {
    signature: "<s-(sf)(sf)n?:s>",
    arity: 4,
    implementation: ([text, pattern, replacement, limit], runtime, input, frame) => {
      if (text === undefined) return undefined;
      const source = text as string;
      if (pattern === "") throw new ExpressionError({ code: "D3010", value: pattern, index: 2 });
      if ((limit as number) < 0) throw new ExpressionError({ code: "D3011", value: limit, index: 4 });
      if (limit !== undefined && !((limit as number) > 0)) return source;
      const underLimit = (count: number) => limit === undefined || count < (limit as number);
      let result = "";
      let position = 0;
      let count = 0;
      if (typeof pattern === "string") {
        for (let at = source.indexOf(pattern); at !== -1 && underLimit(count); at = source.indexOf(pattern, position)) {
          result += source.substring(position, at) + String(replacement);
          runtime.checkStringLength(result.length);
          position = at + pattern.length;
          count += 1;
        }
        return runtime.checkString(result + source.substring(position));
      }
      let found = callMatcher(pattern, source, runtime, frame);
      if (found === undefined) return source;
      const callDepth = runtime.callDepth;
      while (found !== undefined && underLimit(count)) {
        result += source.substring(position, found.start);
        let substitute: unknown;
        if (typeof replacement === "string") substitute = expandReplacement(replacement, found);
        else {
          runtime.callDepth = callDepth;
          substitute = invokeProcedure(replacement, [found], runtime, input, frame);
        }
        if (typeof substitute !== "string") throw new ExpressionError({ code: "D3012", value: substitute });
        result += substitute;
        runtime.checkStringLength(result.length);
        position = found.start + found.match.length;
        count += 1;
        found = nextMatch(found, runtime, frame);
      }
      return runtime.checkString(result + source.substring(position));
    },
  },
  split: {
    signature: "<s-(sf)n?:a<s>>",
    arity: 3,
    implementation: ([text, separator, limit], runtime, _input, frame) => {
      if (text === undefined) return undefined;
      const source = text as string;
      if ((limit as number) < 0) throw new ExpressionError({ code: "D3020", value: limit, index: 3 });
      const result: string[] = [];
      if (limit !== undefined && !((limit as number) > 0)) return result;
      if (typeof separator === "string") {
        if (separator === "" && limit === undefined) runtime.checkArrayLength(source.length);
        const parts = source.split(separator, limit as number | undefined);
        runtime.checkArrayLength(parts.length);
        return parts;
      }
      const underLimit = () => limit === undefined || result.length < (limit as number);
      let found = callMatcher(separator, source, runtime, frame);
      if (found === undefined) return [source];
      let start = 0;
      while (found !== undefined && underLimit()) {
        result.push(source.substring(start, found.start));
        runtime.checkArrayLength(result.length);
        start = found.end;
        found = nextMatch(found, runtime, frame);
      }
      if (underLimit()) result.push(source.substring(start));
      return result;
    },
  },
  join: {
    signature: "<a<s>s?:s>",
    arity: 2,
    implementation: ([strings, separator], runtime) => {
      if (strings === undefined) return undefined;
      const items = strings as string[];
      const glue = separator === undefined ? "" : (separator as string);
      let length = glue.length * Math.max(0, items.length - 1);
      for (const item of items) length += item.length;
      runtime.checkStringLength(length);
      return items.join(glue);
    },
  },
  base64encode: {
    signature: "<s-:s>",
    arity: 1,
    implementation: ([text], runtime) =>
      text === undefined ? undefined : runtime.checkString(encodeLatin1Base64(text as string)),
  },
  base64decode: {
    signature: "<s-:s>",
    arity: 1,
    implementation: ([text]) => (text === undefined ? undefined : decodeBase64(text as string)),
  },
  encodeUrlComponent: urlFunction("encodeUrlComponent", encodeURIComponent),
  encodeUrl: urlFunction("encodeUrl", encodeURI),
  decodeUrlComponent: urlFunction("decodeUrlComponent", decodeURIComponent),
  decodeUrl: urlFunction("decodeUrl", decodeURI),
};
