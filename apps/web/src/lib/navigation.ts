import { useSyncExternalStore } from "react";

/** A few routes need no router library: the path is the state. */
const listeners = new Set<() => void>();
window.addEventListener("popstate", () => listeners.forEach((listener) => listener()));

export function navigate(path: string): void {
  window.history.pushState(null, "", path);
  listeners.forEach((listener) => listener());
}

export function usePathname(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => window.location.pathname,
  );
}
