/**
 * FreeRADIUS 3.2 text for the converted configuration. Values are quoted for the configuration
 * grammar (`"` and `\` escaped) and, where FreeRADIUS expands them (rlm_rest `uri`/`data`, unlang
 * strings), `%` is doubled so a realm or URL is sent exactly as given.
 */
import type { RadiusClient } from './tree.js';

/** A double-quoted configuration string that FreeRADIUS does not expand (file names, secrets). */
export const confString = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** A double-quoted string that FreeRADIUS expands (xlat): `%` doubled as well. */
export const xlatString = (v: string): string => confString(v.replace(/%/g, '%%'));

/** application/x-www-form-urlencoded for a constant, then safe inside an xlat string. */
export const formValue = (v: string): string => encodeURIComponent(v).replace(/%/g, '%%');

/** A value re-quoted the way it was written. */
export function quoteAs(v: string, quote: string): string {
  if (quote === "'") return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (quote === '`') return `\`${v}\``;
  if (quote === '"' || /[\s#"'{}]/.test(v) || v === '') return confString(v);
  return v;
}

/** A name usable as a module instance / Auth-Type value. */
export const safeName = (v: string): string => v.replace(/[^A-Za-z0-9_.-]/g, '_');

export function renderListen(listens: { ipaddr: string; port: string }[]): string[] {
  return listens.flatMap((l) => ['\tlisten {', '\t\ttype = auth', `\t\t${l.ipaddr.includes(':') && l.ipaddr !== '*' ? 'ipv6addr' : 'ipaddr'} = ${l.ipaddr}`, `\t\tport = ${l.port}`, '\t}']);
}

/** The clients of the old tree, every pair carried as written (the secret included). */
export function renderClients(clients: RadiusClient[], header: string[]): string {
  const out = header.map((h) => `# ${h}`);
  for (const c of clients) {
    out.push('', `# from ${c.file}:${c.line}`, `client ${c.name} {`);
    for (const p of c.pairs) {
      // The old virtual servers do not exist in the new configuration; FreeRADIUS would refuse to start.
      if (p.key === 'virtual_server') out.push(`\t# virtual_server = ${p.value}   (left out: the converted server is "linotp")`);
      else out.push(`\t${p.key} = ${quoteAs(p.value, p.quote)}`);
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}
