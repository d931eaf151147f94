/** What the table passes of `admin fix-db-encoding` (fix.ts, mysql-pass.ts) share and report. */

export interface ValueChange {
  table: string;
  column: string;
  /** The row's primary key, e.g. `id=17` or `Key=linotp.Policy.x.action`. */
  key: string;
  before: string;
  after: string;
}

export interface TableResult {
  table: string;
  rows: number;
  /** Rows the server sent for a decision (those with a non-ASCII value in a text column). */
  examined: number;
  changedRows: number;
  /** Repaired values per column. */
  repaired: Record<string, number>;
  /** Values encoded three or more times (repaired only with repairMultiple). */
  multiple: number;
  conflicts: number;
}

export interface FixState {
  apply: boolean;
  /**
   * MySQL utf8mb3 tables whose 4-byte repairs are held back while they are read (rows with one are
   * left whole), and those where one was found: converted to utf8mb4, then repaired again.
   */
  holdFourByte: Set<string>;
  needsUtf8mb4: Set<string>;
  /** MySQL: the character set of each text column (by table) as it is read. */
  charsets: Map<string, Map<string, string | undefined>>;
  repairMultiple: boolean;
  pageSize: number;
  /** MySQL: id ranges repaired at once, each over its own connection. */
  jobs: number;
  samplesWanted: number;
  samples: ValueChange[];
  multipleSamples: ValueChange[];
  conflicts: (ValueChange & { reason: string })[];
  onRows?: (n: number) => void;
  /** Milliseconds spent reading and deciding, and writing (the report's phases). */
  ms: { deciding: number; updating: number };
}
