/**
 * Ingestion requests in flight in this process. Acknowledging events is what a sender waits for;
 * processing them can wait a moment, so the runtime's workers give way to ingestion before each
 * batch (for a bounded time, so a steady stream of requests never starves processing).
 */
export function createIngestActivity() {
  let inFlight = 0;
  return {
    async track<T>(work: () => Promise<T>): Promise<T> {
      inFlight += 1;
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    },
    get inFlight(): number {
      return inFlight;
    },
  };
}

export type IngestActivity = ReturnType<typeof createIngestActivity>;
