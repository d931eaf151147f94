/** Shared inputs of the rehearse tests: the committed demo installation (read, never written). */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO = join(ROOT, 'fixtures', 'demo');
export const ARCHIVE = join(DEMO, 'linotp2.backup.tar.gz');
export const DUMP = join(DEMO, 'linotp2-mysql.sql');
export const ENC_KEY = join(DEMO, 'encKey');
export const INI = join(DEMO, 'linotp.ini');
export const ACCESS_LOG = join(DEMO, 'access.log');
export const PASSPHRASE_FILE = join(DEMO, 'backup-passphrase.txt');
export const ADMIN_PASSWORD_FILE = join(DEMO, 'admin-password.txt');
export const PASSPHRASE = readFileSync(PASSPHRASE_FILE, 'utf8').split('\n')[0];
export const ADMIN_PASSWORD = readFileSync(ADMIN_PASSWORD_FILE, 'utf8').split('\n')[0];

/** Hash of every file in fixtures/demo (the rehearsal must not write there). */
export function demoSnapshot(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(DEMO).sort()) h.update(f).update(readFileSync(join(DEMO, f)));
  return h.digest('hex');
}

/** Well-formedness check by python3's XML parser; returns the root's attributes and the number of <failure> elements. */
export function parseXmlWithPython(file: string): { ok: boolean; error?: string; attrs?: Record<string, string>; failures?: number; testcases?: number } {
  const code = [
    'import sys, json, xml.etree.ElementTree as ET',
    'try:',
    '    r = ET.parse(sys.argv[1]).getroot()',
    "    print(json.dumps({'ok': True, 'attrs': dict(r.attrib), 'failures': len(r.findall('.//failure')), 'testcases': len(r.findall('.//testcase'))}))",
    'except ET.ParseError as e:',
    "    print(json.dumps({'ok': False, 'error': str(e)}))",
  ].join('\n');
  const r = spawnSync('python3', ['-c', code, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
