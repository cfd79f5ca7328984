-- Usage-record payloads are stored as json text: nothing queries inside them, and parsing each
-- into jsonb was the largest part of storing a record.
ALTER TABLE "usage_records" ALTER COLUMN "payload" SET DATA TYPE json USING "payload"::json;
