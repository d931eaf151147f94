/**
 * The one PostgreSQL schema that holds LinOTP's tables, resolved when a connection pool opens and
 * pinned on every connection of the pool (startup option `-c search_path="<schema>"`), so every statement of
 * every command — unqualified DROP/CREATE/COPY of a restore as much as the adapter's introspection
 * (which asks `current_schema()`) — works in that schema and nowhere else.
 *
 * Which schema: LinOTP's own. LinOTP 3.4 (SQLAlchemy 1.3, psycopg2) names tables unqualified, so
 * PostgreSQL puts and finds them in the first schema of the connection's search_path that exists
 * (`current_schema()`: "$user" when the role has a schema of its own name, else normally public);
 * SQLAlchemy's has_table looks for a *visible* table. Hence:
 * - the schema of the search path that already holds LinOTP's Config table, else
 * - the first existing schema of the search path (where LinOTP would create them).
 * The search path is the role's/database's setting, or the URL's libpq `?options=-csearch_path%3D…`.
 *
 * Refused: a table or view in a schema earlier on the search path with the name of a table in the
 * chosen schema — LinOTP itself would read and write that other object (a role's own `audit` table
 * in front of public.audit), and a restore of unqualified statements would drop it.
 */
import type { ClientBase } from 'pg';
import { DatabaseError } from '../errors.js';
import type { DbUrl } from './types.js';
import { describeDbUrl } from './url.js';

const quote = (name: string) => '"' + name.replace(/"/g, '""') + '"';

/** The schema LinOTP's tables are in (or would be created in) for this connection's search path. */
export async function resolveLinotpSchema(client: ClientBase, url: DbUrl): Promise<string> {
  const path: string[] = JSON.parse((await client.query('SELECT array_to_json(current_schemas(false))::text AS p')).rows[0].p ?? '[]');
  if (!path.length) {
    throw new DatabaseError(
      `the search_path of ${describeDbUrl(url)} names no schema that exists (${(await client.query('SHOW search_path')).rows[0].search_path})`,
      'create the schema, or set the search path: ALTER ROLE <user> SET search_path = public',
    );
  }
  const holders = await client.query(
    `SELECT n.nspname AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = 'Config' AND c.relkind IN ('r', 'p') AND n.nspname::text = ANY($1::text[])`,
    [path],
  );
  const held = new Set(holders.rows.map((r) => r.s as string));
  const schema = path.find((s) => held.has(s)) ?? path[0];
  const earlier = path.slice(0, path.indexOf(schema));
  if (earlier.length) {
    const shadows = await client.query(
      `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname::text = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND c.relname IN (SELECT c2.relname FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
                             WHERE n2.nspname::text = $2::text AND c2.relkind IN ('r', 'p'))
        ORDER BY array_position($1::text[], n.nspname::text), c.relname`,
      [earlier, schema],
    );
    if (shadows.rows.length) {
      const list = shadows.rows.slice(0, 5).map((r) => `${quote(r.s)}.${quote(r.t)}`);
      throw new DatabaseError(
        `LinOTP's tables are in schema ${quote(schema)} of ${describeDbUrl(url)}, but ${list.join(', ')}${shadows.rows.length > 5 ? ', …' : ''} of the same name come(s) first on the search_path: LinOTP would use those; nothing was changed`,
        `move or rename the other objects, or put ${quote(schema)} first: ALTER ROLE <user> SET search_path = ${quote(schema)} (or ?options=-csearch_path%3D${encodeURIComponent(schema)} in the URL)`,
      );
    }
  }
  return schema;
}

/**
 * The startup option that pins a connection to the schema (`-c search_path="<schema>"`), escaped as
 * the server splits the options string: a backslash escapes the next character, whitespace separates.
 */
export function pinSchemaOption(schema: string): string {
  return '-c search_path=' + quote(schema).replace(/[\\\s]/g, (c) => `\\${c}`);
}
