import { check, functionCatalog, syntaxProblem } from "@meterflow/expressions";
// edcore.main: the editor with its features (suggest, hover, bracket matching) and no bundled languages.
import "monaco-editor/esm/vs/editor/edcore.main";
import * as monaco from "monaco-editor/esm/vs/editor/editor.api";
import EditorWorker from "monaco-editor/esm/vs/editor/editor.worker?worker";
import { useEffect, useRef } from "react";
import { schemaPaths } from "./input-schema";

// Loaded only with this module (a lazy chunk): Monaco and its worker are bundled, never fetched from a CDN.
self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

const LANGUAGE = "jsonata";
let registered = false;
/** Completion reads the schema of whichever editor is focused. */
let activeSchema: Record<string, unknown> = {};

function registerJsonata() {
  if (registered) return;
  registered = true;
  monaco.languages.register({ id: LANGUAGE });
  monaco.languages.setMonarchTokensProvider(LANGUAGE, {
    tokenizer: {
      root: [
        [/\/\*/, "comment", "@comment"],
        [/"([^"\\]|\\.)*"/, "string"],
        [/'([^'\\]|\\.)*'/, "string"],
        [/`[^`]*`/, "variable"],
        [/\$[A-Za-z_]\w*/, "predefined"],
        [/\b(and|or|in|true|false|null|function)\b/, "keyword"],
        [/-?\d+(\.\d+)?([eE][-+]?\d+)?/, "number"],
        [/[A-Za-z_]\w*/, "identifier"],
        [/[{}()[\]]/, "@brackets"],
        [/[&|=<>!+\-*/%?:.,;^~#@]/, "operator"],
      ],
      comment: [
        [/\*\//, "comment", "@pop"],
        [/./, "comment"],
      ],
    },
  });
  monaco.languages.setLanguageConfiguration(LANGUAGE, {
    brackets: [
      ["{", "}"],
      ["[", "]"],
      ["(", ")"],
    ],
    autoClosingPairs: [
      { open: "{", close: "}" },
      { open: "[", close: "]" },
      { open: "(", close: ")" },
      { open: '"', close: '"' },
    ],
    comments: { blockComment: ["/*", "*/"] },
  });
  monaco.languages.registerCompletionItemProvider(LANGUAGE, {
    triggerCharacters: [".", "$"],
    provideCompletionItems(model, position) {
      const line = model.getLineContent(position.lineNumber).slice(0, position.column - 1);
      const word = model.getWordUntilPosition(position);
      const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
      if (/\$\w*$/.test(line)) {
        const dollar = new monaco.Range(position.lineNumber, word.startColumn - 1, position.lineNumber, word.endColumn);
        return {
          suggestions: functionCatalog.map((entry) => ({
            label: `$${entry.name}`,
            kind: monaco.languages.CompletionItemKind.Function,
            detail: entry.signature,
            documentation: entry.description,
            // "$" starts a variable in snippet syntax: escape it.
            insertText: `\\$${entry.name}($0)`,
            insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
            range: dollar,
          })),
        };
      }
      // After "a.b." offer the children of a.b; otherwise the top-level fields.
      const parent = /([A-Za-z_][\w.]*)\.\w*$/.exec(line)?.[1];
      const paths = schemaPaths(activeSchema);
      const children = paths.filter((entry) =>
        parent
          ? entry.path.startsWith(`${parent}.`) && !entry.path.slice(parent.length + 1).includes(".")
          : !entry.path.includes("."),
      );
      return {
        suggestions: children.map((entry) => {
          const name = parent ? entry.path.slice(parent.length + 1) : entry.path;
          return {
            label: name,
            kind: monaco.languages.CompletionItemKind.Field,
            detail: `${entry.path}: ${entry.type}`,
            insertText: name,
            range,
          };
        }),
      };
    },
  });
  monaco.languages.registerHoverProvider(LANGUAGE, {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      const entry = word && functionCatalog.find((candidate) => candidate.name === word.word);
      return entry ? { contents: [{ value: `\`${entry.signature}\`` }, { value: entry.description }] } : null;
    },
  });
}

/** Syntax errors from the expressions package's parser and problems from its type check, as editor markers. */
function markersFor(
  model: monaco.editor.ITextModel,
  source: string,
  schema: Record<string, unknown>,
): monaco.editor.IMarkerData[] {
  if (source.trim() === "") return [];
  const range = (from: number, to: number) => {
    const start = model.getPositionAt(Math.max(0, Math.min(from, source.length)));
    const end = model.getPositionAt(Math.max(0, Math.min(Math.max(to, from + 1), source.length)));
    return {
      startLineNumber: start.lineNumber,
      startColumn: start.column,
      endLineNumber: end.lineNumber,
      endColumn: end.column,
    };
  };
  const syntax = syntaxProblem(source);
  if (syntax) return [{ severity: monaco.MarkerSeverity.Error, message: syntax, ...range(0, source.length) }];
  return check(source, schema as never).map((problem) => ({
    severity: problem.severity === "error" ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
    message: problem.message,
    // JSONata positions point at the end of the token: mark the path that ends there.
    ...(problem.position !== undefined
      ? range(problem.position - problem.path.split(".").at(-1)!.length, problem.position)
      : range(0, source.length)),
  }));
}

export interface ExpressionEditorProps {
  value: string;
  label: string;
  /** The shape of the node's input, for completion and the type check. */
  inputSchema: Record<string, unknown>;
  onCommit: (value: string) => void;
  onProblems?: (messages: string[]) => void;
}

/** A one-expression Monaco editor with the JSONata mode; commits on blur and Ctrl/⌘+Enter. */
export default function ExpressionEditor({ value, label, inputSchema, onCommit, onProblems }: ExpressionEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const latest = useRef({ value, inputSchema, onCommit, onProblems });
  latest.current = { value, inputSchema, onCommit, onProblems };

  useEffect(() => {
    registerJsonata();
    const editor = monaco.editor.create(host.current!, {
      value,
      language: LANGUAGE,
      minimap: { enabled: false },
      lineNumbers: "off",
      wordWrap: "on",
      scrollBeyondLastLine: false,
      automaticLayout: true,
      fontSize: 13,
      ariaLabel: label,
      fixedOverflowWidgets: true,
      renderLineHighlight: "none",
      matchBrackets: "always",
    });
    editorRef.current = editor;
    const model = editor.getModel()!;
    const validate = () => {
      const markers = markersFor(model, model.getValue(), latest.current.inputSchema);
      monaco.editor.setModelMarkers(model, "meterflow", markers);
      latest.current.onProblems?.(markers.map((marker) => marker.message));
    };
    validate();
    const commit = () => {
      if (model.getValue() !== latest.current.value) latest.current.onCommit(model.getValue());
    };
    const subscriptions = [
      model.onDidChangeContent(validate),
      editor.onDidBlurEditorText(commit),
      editor.onDidFocusEditorText(() => (activeSchema = latest.current.inputSchema)),
    ];
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, commit);
    activeSchema = latest.current.inputSchema;
    return () => {
      subscriptions.forEach((subscription) => subscription.dispose());
      model.dispose();
      editor.dispose();
    };
    // The editor is created once per mount; value changes from outside are applied below.
  }, []);

  useEffect(() => {
    const editor = editorRef.current;
    if (editor && editor.getValue() !== value && !editor.hasTextFocus()) editor.setValue(value);
  }, [value]);

  return <div className="expression-editor" ref={host} data-testid={`expression-editor-${label}`} />;
}
