const lengths = { day: 10, minute: 16, second: 19 } as const;

/** An instant as UTC text to the day ("2026-11-30"), minute ("2026-11-30 14:05") or second, as the pages show times. */
export function utcText(at: string | Date, to: keyof typeof lengths = "minute"): string {
  return new Date(at).toISOString().slice(0, lengths[to]).replace("T", " ");
}
