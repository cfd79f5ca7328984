import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseStartupError } from "./errors";

const LOCK_FILE = "meterflow.pid";

/**
 * Makes a PGlite data folder this process's until `release`: PGlite has no postmaster to refuse a
 * second instance, and two instances writing one folder corrupt it. A lock left by a process that
 * is gone (killed, crashed) is taken over.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(path, "utf8").trim());
    if (isRunning(holder)) {
      throw new DatabaseStartupError(
        `The data folder ${dataDir} is in use by another Meterflow process (pid ${holder}${holder === process.pid ? ", this one" : ""}); stop it, or set METERFLOW_DATA_DIR to another folder`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new DatabaseStartupError(
    `The data folder ${dataDir} was locked by two processes starting at once; start again`,
  );
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, but someone else's
  }
}
