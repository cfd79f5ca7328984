-- Lineage is looked up by output only (a posting traced back to its events): the GIN index on
-- the inputs was never queried and took every event key of every link.
DROP INDEX "lineage_inputs_idx";