-- Raw envelopes are stored as json text: cheaper to store and to read back, and nothing queries
-- inside them.
ALTER TABLE "events_raw" ALTER COLUMN "envelope" SET DATA TYPE json USING "envelope"::json;
