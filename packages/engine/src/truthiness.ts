/** JSONata-style truthiness for conditions evaluated by nodes (undefined is false). */
export function toTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(toTruthy);
  if (typeof value === "string") return value.length > 0;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "object") return Object.keys(value).length > 0;
  return value === true;
}
