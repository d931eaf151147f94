/**
 * python3 oracle for emitted .cfg files: each file must be a sequence of `NAME = <literal>`
 * statements (checked with `ast`), and evaluates with `ast.literal_eval`. URL settings are also
 * parsed with the URL pattern of SQLAlchemy 1.3 (LinOTP 3.x pins SQLAlchemy < 1.4), so tests see
 * the user/password LinOTP 3 would use.
 */
import { runPython } from '../settings/python.js';

const SCRIPT = String.raw`
import sys, json, ast, re
from urllib.parse import unquote, parse_qsl
SA13 = re.compile(r'''
    (?P<name>[\w\+]+)://
    (?:
        (?P<username>[^:/]*)
        (?::(?P<password>.*))?
    @)?
    (?:
        (?:
            \[(?P<ipv6host>[^/]+)\] |
            (?P<ipv4host>[^/:]+)
        )?
        (?::(?P<port>[^/]*))?
    )?
    (?:/(?P<database>.*))?
    ''', re.X)
def sa_url(s):
    m = SA13.match(s)
    if not m: return None
    c = m.groupdict()
    q = {}
    if c['database'] is not None and '?' in c['database']:
        c['database'], query = c['database'].split('?', 1)
        q = dict(parse_qsl(query))
    return {'drivername': c['name'], 'username': unquote(c['username']) if c['username'] is not None else None,
            'password': unquote(c['password']) if c['password'] is not None else None,
            'host': c['ipv6host'] or c['ipv4host'], 'port': c['port'], 'database': c['database'], 'query': q}
out = []
for path in json.load(sys.stdin):
    src = open(path, encoding='utf-8').read()
    tree = ast.parse(src)
    values = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), ast.dump(node)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    urls = {k: sa_url(v) for k, v in values.items() if k.endswith('DATABASE_URI') and isinstance(v, str) and '://' in v}
    out.append({'values': values, 'urls': urls})
print(json.dumps(out))
`;

export interface PyCfg {
  values: Record<string, unknown>;
  urls: Record<string, { drivername: string; username: string | null; password: string | null; host: string | null; port: string | null; database: string | null; query: Record<string, string> }>;
}

export function evalCfgFiles(paths: string[]): PyCfg[] {
  return runPython<PyCfg[]>(SCRIPT, paths);
}
