import type { FlowDocument, Problem } from "@meterflow/flow-spec";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTRPC, type ApiErrorData, type RouterOutputs } from "../../lib/trpc";

const AUTOSAVE_MS = 1_500;

/**
 * Saving a draft: automatically once edits pause (unless it has errors), on request, and never
 * over someone else's newer save: a conflict waits for the user's choice (load theirs, or keep
 * mine and save over their revision). Problems only the server finds (unknown schemas,
 * expression syntax) come back from a refused save and stay until the document changes.
 */
export function useDraftSaving(
  flow: RouterOutputs["flows"]["get"],
  document: FlowDocument,
  blockingProblems: number,
  onLoaded: (document: FlowDocument) => void,
) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState({
    document: flow.draft,
    revision: flow.revision,
    problems: flow.problems as Problem[],
  });
  const [conflict, setConflict] = useState<{ message: string; currentRevision: number } | null>(null);
  const [refusal, setRefusal] = useState<{ document: FlowDocument; problems: Problem[] } | null>(null);
  const dirty = useMemo(() => JSON.stringify(document) !== JSON.stringify(saved.document), [document, saved.document]);

  const save = useMutation(
    trpc.flows.saveDraft.mutationOptions({
      onSuccess: async (result, variables) => {
        setSaved({
          document: variables.document as unknown as FlowDocument,
          revision: result.revision,
          problems: result.problems,
        });
        setConflict(null);
        await queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
      },
      onError: (error, variables) => {
        const data = (error instanceof TRPCClientError ? error.data : null) as
          | (ApiErrorData & { code?: string })
          | null;
        if (data?.code === "CONFLICT")
          setConflict({ message: error.message, currentRevision: data.conflict?.currentRevision ?? saved.revision });
        if (data?.problems)
          setRefusal({ document: variables.document as unknown as FlowDocument, problems: data.problems });
      },
    }),
  );
  const saveNow = useCallback(
    (expectedRevision = saved.revision) => {
      if (save.isPending || blockingProblems > 0) return;
      save.mutate({ id: flow.id, expectedRevision, document: document as unknown as Record<string, unknown> });
    },
    [save, blockingProblems, flow.id, saved.revision, document],
  );
  // A refused save is not retried as is; the next edit clears it and autosave tries again.
  const { reset: resetSave, isError: saveFailed } = save;
  useEffect(() => {
    if (saveFailed && refusal?.document !== document) resetSave();
  }, [document, saveFailed, refusal, resetSave]);
  useEffect(() => {
    if (!dirty || conflict || blockingProblems > 0 || save.isPending || save.isError) return;
    const timer = setTimeout(() => saveNow(), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [dirty, conflict, blockingProblems, save.isPending, save.isError, saveNow, document]);

  const loadTheirs = async () => {
    const fresh = await queryClient.fetchQuery(trpc.flows.get.queryOptions({ id: flow.id }, { staleTime: 0 }));
    onLoaded(fresh.draft);
    setSaved({ document: fresh.draft, revision: fresh.revision, problems: fresh.problems as Problem[] });
    setConflict(null);
    save.reset();
  };

  const status = save.isPending
    ? "Saving…"
    : conflict
      ? "Not saved: changed elsewhere"
      : dirty
        ? blockingProblems > 0
          ? `Unsaved: fix ${blockingProblems} problem(s) to save`
          : "Unsaved changes"
        : `Saved (revision ${saved.revision})`;

  return { saved, dirty, refusal, conflict, save, saveNow, loadTheirs, status };
}
