/** A finite number or a decimal string ("12.50"): what quantities and amounts may be. */
export function isDecimalLike(value: unknown): value is number | string {
  return (
    (typeof value === "number" && Number.isFinite(value)) ||
    (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value))
  );
}
