import type { FlowDocument } from "@meterflow/flow-spec";
import { useEffect, useRef } from "react";
import { fragmentFromText, fragmentOf, fragmentToText, type Edit } from "../../canvas/model/flow-editing";

export function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

export interface EditorActions {
  document: FlowDocument;
  selectedIds: () => string[];
  edit: (change: Edit) => void;
  save: () => void;
  undo: () => void;
  redo: () => void;
  selectAll: () => void;
  showShortcuts: () => void;
}

/**
 * The editor's keyboard shortcuts (see the sheet behind "?") and copy, cut and paste of nodes
 * through the system clipboard as text, so nodes move between flows and tabs. Keys typed into a
 * field stay the field's, except Ctrl/⌘+S.
 */
export function useEditorShortcuts(actions: EditorActions): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const act = latest.current;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (isTyping(event.target)) {
        if (mod && key === "s") {
          event.preventDefault();
          act.save();
        }
        return;
      }
      if (event.key === "?") return act.showShortcuts();
      if (!mod) return;
      const shortcuts: Record<string, () => void> = {
        s: act.save,
        z: event.shiftKey ? act.redo : act.undo,
        y: act.redo,
        d: () =>
          act.edit({ kind: "insert", fragment: fragmentOf(act.document, act.selectedIds()), offset: { x: 40, y: 40 } }),
        a: act.selectAll,
      };
      const run = shortcuts[key];
      if (!run) return;
      event.preventDefault();
      run();
    };
    const onCopy = (event: ClipboardEvent, cut: boolean) => {
      const act = latest.current;
      const ids = act.selectedIds();
      if (isTyping(event.target) || ids.length === 0 || !event.clipboardData) return;
      event.preventDefault();
      event.clipboardData.setData("text/plain", fragmentToText(fragmentOf(act.document, ids)));
      if (cut) act.edit({ kind: "remove", nodeIds: ids, edgeIds: [] });
    };
    const onPaste = (event: ClipboardEvent) => {
      const fragment = isTyping(event.target)
        ? undefined
        : fragmentFromText(event.clipboardData?.getData("text/plain") ?? "");
      if (!fragment) return;
      event.preventDefault();
      latest.current.edit({ kind: "insert", fragment, offset: { x: 40, y: 40 } });
    };
    const copy = (event: ClipboardEvent) => onCopy(event, false);
    const cut = (event: ClipboardEvent) => onCopy(event, true);
    window.addEventListener("keydown", onKey);
    window.addEventListener("copy", copy);
    window.addEventListener("cut", cut);
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("copy", copy);
      window.removeEventListener("cut", cut);
      window.removeEventListener("paste", onPaste);
    };
  }, []);
}
