import { useEffect, useRef } from "react";

const SHORTCUTS: [string, string][] = [
  ["Ctrl/⌘ + S", "Save now (drafts also save themselves)"],
  ["Ctrl/⌘ + Z", "Undo"],
  ["Ctrl/⌘ + Shift + Z, Ctrl/⌘ + Y", "Redo"],
  ["Ctrl/⌘ + C, X, V", "Copy, cut, paste nodes (also into another flow)"],
  ["Ctrl/⌘ + D", "Duplicate the selected nodes"],
  ["Ctrl/⌘ + A", "Select every node"],
  ["Delete, Backspace", "Delete the selection"],
  ["Shift + drag", "Select with a box"],
  ["Shift/Ctrl + click", "Add to the selection"],
  ["Tab, Enter", "Move between nodes and select one"],
  ["Ctrl/⌘ + Enter", "Run the test (in the Test run panel)"],
  ["?", "This sheet"],
];

/** The keyboard shortcut sheet, opened with "?". */
export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label="Keyboard shortcuts"
        onClick={(event) => event.stopPropagation()}
      >
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([keys, action]) => (
              <tr key={keys}>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" ref={close} onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
