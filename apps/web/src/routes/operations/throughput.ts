/** The workspace's running totals at one poll of the Operations page. */
export interface CountSample {
  atMs: number;
  /** Events stored ever. */
  stored: number;
  /** Events processed ever (stored and not pending). */
  processed: number;
}

export interface Throughput {
  storedPerSecond: number;
  processedPerSecond: number;
  /** The span the rates are measured over. */
  seconds: number;
}

/** The samples of the last `windowMs` with the new one: what the rates are measured over. */
export function keepRecent(samples: readonly CountSample[], sample: CountSample, windowMs = 60_000): CountSample[] {
  return [...samples.filter((earlier) => earlier.atMs > sample.atMs - windowMs && earlier.atMs < sample.atMs), sample];
}

/**
 * Events stored and processed per second between the oldest and newest sample, once they are
 * `minSpanMs` apart; undefined before (a rate from one poll would be noise).
 */
export function throughputOf(samples: readonly CountSample[], minSpanMs = 2_000): Throughput | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.atMs - first.atMs < minSpanMs) return undefined;
  const seconds = (last.atMs - first.atMs) / 1000;
  // Totals only grow; a smaller one (another database behind the page) restarts the measure.
  if (last.stored < first.stored || last.processed < first.processed) return undefined;
  return {
    storedPerSecond: (last.stored - first.stored) / seconds,
    processedPerSecond: (last.processed - first.processed) / seconds,
    seconds,
  };
}
