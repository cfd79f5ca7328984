import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatabaseStartupError } from "./errors";
import { describeUrl, openDatabase } from "./open-database";

describe("openDatabase", () => {
  it("creates a PGlite data folder, migrates it, and reopens it with the data kept", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "meterflow-db-")), "data");
    const first = await openDatabase({ dataDir });
    expect(first.location).toBe(`PGlite in ${dataDir}`);
    await first.db.execute("insert into workspaces (id, name) values ('w', 'kept')");
    await first.close();
    const second = await openDatabase({ dataDir });
    const rows = await second.db.execute<{ name: string }>("select name from workspaces");
    expect(JSON.stringify(rows)).toContain("kept");
    await second.close();
  });

  it("refuses a data folder another instance has open, and takes over one whose process is gone", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "meterflow-locked-"));
    const first = await openDatabase({ dataDir });
    const failure = await openDatabase({ dataDir }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DatabaseStartupError);
    expect((failure as Error).message).toBe(
      `The data folder ${dataDir} is in use by another Meterflow process (pid ${process.pid}, this one); stop it, or set METERFLOW_DATA_DIR to another folder`,
    );
    await first.close();

    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(join(dataDir, "meterflow.pid"), gone.stdout);
    const second = await openDatabase({ dataDir });
    expect(readFileSync(join(dataDir, "meterflow.pid"), "utf8")).toBe(String(process.pid));
    await second.close();
    expect(existsSync(join(dataDir, "meterflow.pid"))).toBe(false);
  });

  it("refuses a corrupt data folder with a one-line explanation", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "meterflow-corrupt-"));
    writeFileSync(join(dataDir, "PG_VERSION"), "not a version\n");
    mkdirSync(join(dataDir, "base"));
    writeFileSync(join(dataDir, "global"), "garbage");
    const failure = await openDatabase({ dataDir }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DatabaseStartupError);
    expect((failure as Error).message).toMatch(
      new RegExp(`The data folder ${dataDir} is not a readable Meterflow database .*METERFLOW_DATA_DIR`),
    );
    expect((failure as Error).message).not.toContain("\n");
  });

  it("refuses an unreachable DATABASE_URL with a one-line explanation and no password", async () => {
    const failure = await openDatabase({ databaseUrl: "postgres://app:s3cret@127.0.0.1:1/nowhere" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DatabaseStartupError);
    expect((failure as Error).message).toMatch(
      /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere \(.+\); check DATABASE_URL$/,
    );
    expect((failure as Error).message).not.toContain("s3cret");
  });

  it("describes URLs without credentials", () => {
    expect(describeUrl("postgres://u:p@db.internal:6543/meter")).toBe("db.internal:6543/meter");
    expect(describeUrl("not a url")).toBe("an unparseable DATABASE_URL");
  });
});
