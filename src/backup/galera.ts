/**
 * Restoring a MySQL dump into a MariaDB Galera cluster: Galera replicates only InnoDB. Rows of a
 * MyISAM or Aria table stay on the node that took them (the DDL is replicated, the data is not),
 * so the other nodes would have the table empty. LinOTP 2 databases made on MySQL ≤ 5.1 (whose
 * default engine was MyISAM) carry `ENGINE=MyISAM` in their dumps. Such tables are created as
 * InnoDB (ROW_FORMAT=DYNAMIC, whose 3072-byte keys hold every MyISAM key) and the plan says so.
 * (The ddl branch generates restore DDL from a parsed definition: the engine choice moves there.)
 */

/** The ENGINE= of a CREATE TABLE (its table options after the closing parenthesis), or undefined. */
export function tableEngine(createSql: string): string | undefined {
  const close = createSql.lastIndexOf(')');
  const m = /\bENGINE\s*=?\s*`?(\w+)`?/i.exec(close >= 0 ? createSql.slice(close) : createSql);
  return m?.[1];
}

/** Whether Galera replicates this engine's rows. A dump without ENGINE= gets the cluster's default (InnoDB). */
export function replicatedEngine(engine: string | undefined): boolean {
  return !engine || engine.toLowerCase() === 'innodb';
}

/**
 * The CREATE TABLE with ENGINE=InnoDB, and without the options only MyISAM/Aria know
 * (ROW_FORMAT=FIXED/PAGE, PAGE_CHECKSUM, TRANSACTIONAL, DELAY_KEY_WRITE), which InnoDB's strict
 * mode refuses or ignores.
 */
export function innodbCreateSql(sql: string): string {
  const close = sql.lastIndexOf(')');
  if (close < 0) return sql;
  let opts = sql.slice(close + 1);
  opts = opts.replace(/\bENGINE\s*=?\s*`?\w+`?/i, 'ENGINE=InnoDB');
  opts = opts.replace(/\s*\b(PAGE_CHECKSUM|TRANSACTIONAL|DELAY_KEY_WRITE)\s*=?\s*\w+/gi, '');
  opts = opts.replace(/\bROW_FORMAT\s*=?\s*\w+/i, 'ROW_FORMAT=DYNAMIC');
  if (!/\bROW_FORMAT\b/i.test(opts)) opts = opts.replace('ENGINE=InnoDB', 'ENGINE=InnoDB ROW_FORMAT=DYNAMIC');
  return sql.slice(0, close + 1) + opts;
}
