// The bench's data, generated once and cached (issue 22): a LinOTP 2.12 installation of a given
// size, written the LinOTP 2 way (MariaDB: latin1 connection into utf8 tables, so text is
// double-encoded as on real LinOTP 2 servers), then dumped with the native tools. Later runs only
// load the cached dumps. Cache folder: $LMT_BENCH_CACHE, else <repo>/.bench/cache.
//   node scripts/lib/bench-data.mjs --size 50k|500k [--engine mysql|postgres]   (prints the paths)
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from './bench-run.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const MYSQL_ADMIN = 'mysql://root@localhost/?unix_socket=/run/mysqld/mysqld.sock';
export const PG_ADMIN = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const SIZES = {
  '5k': { tokens: 5_000, audit: 100_000, importedUsers: 1000 },
  '50k': { tokens: 50_000, audit: 1_000_000, importedUsers: 1000 },
  '500k': { tokens: 500_000, audit: 10_000_000, importedUsers: 10_000 },
};
/** Bump when the generator's output changes, so stale caches are regenerated. */
const GENERATION = 1;

export const cacheDir = () => process.env.LMT_BENCH_CACHE || join(root, '.bench/cache');
export const dbUrl = (engine, db) =>
  engine === 'mysql' ? `mysql://root@localhost/${db}?unix_socket=/run/mysqld/mysqld.sock` : `postgresql://postgres@127.0.0.1:5432/${db}`;

/** The native client reading `file` into database `db` (what `backup restore` is compared with). */
export const nativeLoadCommand = (engine, db, file) =>
  engine === 'mysql' ? `mariadb ${db} < ${file}` : `psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d ${db} -f ${file} > /dev/null`;

export async function freshDatabase(admin, engine, name) {
  const q = engine === 'mysql' ? `\`${name}\`` : `"${name}"`;
  if (engine === 'postgres') await admin.execute(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
  await admin.execute(`DROP DATABASE IF EXISTS ${q}`);
  await admin.execute(engine === 'mysql' ? `CREATE DATABASE ${q} CHARACTER SET utf8mb3` : `CREATE DATABASE ${q}`);
}

export async function dropDatabase(admin, engine, name) {
  if (engine === 'postgres') await admin.execute(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`).catch(() => undefined);
  await admin.execute(`DROP DATABASE IF EXISTS ${engine === 'mysql' ? `\`${name}\`` : `"${name}"`}`).catch(() => undefined);
}

/** The native dump of the LinOTP 2 installation of `size` on `engine`, generating it when missing. */
export async function benchDump(engine, size, log = (m) => process.stderr.write(`[bench-data] ${m}\n`)) {
  const spec = SIZES[size];
  if (!spec) throw new Error(`--size ${size}: choose ${Object.keys(SIZES).join(', ')}`);
  const dir = join(cacheDir(), `${size}-g${GENERATION}`);
  const file = join(dir, `${engine}.sql`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { file, bytes: statSync(file).size, ...JSON.parse(readFileSync(meta, 'utf8')) };
  mkdirSync(dir, { recursive: true });
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  const { buildInstallation } = await import(join(root, 'dist/fixtures/installation.js'));
  const { writeInstallation } = await import(join(root, 'dist/fixtures/write.js'));
  const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
  const src = `lmt_bench_gen_${engine}_${size}`;
  try {
    await freshDatabase(admin, engine, src);
    const t = Date.now();
    const db = await openDatabase(dbUrl(engine, src));
    try {
      await writeInstallation(db, buildInstallation({ tokens: spec.tokens, auditRows: spec.audit, importedUsers: spec.importedUsers }), {
        encoding: engine === 'mysql' ? 'linotp2' : 'correct',
        batchSize: 2000,
      });
    } finally {
      await db.close();
    }
    log(`${engine} ${size}: wrote ${spec.tokens} tokens, ${spec.audit} audit rows in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    const tmp = `${file}.part`;
    sh(engine === 'mysql' ? `mariadb-dump --single-transaction ${src} > ${tmp}` : `pg_dump -h 127.0.0.1 -U postgres ${src} > ${tmp}`);
    renameSync(tmp, file);
    const info = { engine, size, ...spec, generatedSeconds: Math.round((Date.now() - t) / 1000) };
    writeFileSync(meta, JSON.stringify(info, null, 2));
    return { file, bytes: statSync(file).size, ...info };
  } finally {
    await dropDatabase(admin, engine, src);
    await admin.close();
  }
}

/** A fresh database `name` on `engine` loaded from the cached dump with the native client (returns seconds). */
export async function loadNative(admin, engine, name, file) {
  await freshDatabase(admin, engine, name);
  return sh(nativeLoadCommand(engine, name, file)).seconds;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
  const size = opt('size', '50k');
  for (const engine of opt('engine', 'mysql,postgres').split(',')) {
    const d = await benchDump(engine, size);
    console.log(JSON.stringify(d));
  }
}
