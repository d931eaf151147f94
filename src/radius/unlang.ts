/**
 * Carrying unlang from an old authorize section into the new virtual server: only the statements that
 * choose a LinOTP Auth-Type, with the conditions around them, written back as configuration text.
 */
import type { ConfItem, ConfPair, ConfSection } from './conf.js';

const CONDITIONAL = new Set(['if', 'elsif', 'else']);
const isAuthTypeKey = (key: string) => /^&?(control:)?Auth-Type$/i.test(key);

/**
 * The part of an authorize section that chooses an Auth-Type among `keep`: `update control` pairs
 * setting it, inside the if/elsif/else chains around them (a chain is kept whole, so an `else` keeps
 * its meaning; a branch left empty becomes `noop`). Everything else (module calls, other updates) is
 * dropped. Undefined when nothing chooses one of `keep`.
 */
export function authTypeLogic(items: ConfItem[], keep: Set<string>): ConfItem[] | undefined {
  const out: ConfItem[] = [];
  let chain: ConfSection[] = [];
  let chainUsed = false;
  const flush = () => {
    if (chainUsed) out.push(...chain);
    chain = [];
    chainUsed = false;
  };
  for (const it of items) {
    if (it.kind !== 'section') continue;
    if (CONDITIONAL.has(it.name)) {
      if (it.name === 'if') flush();
      const inner = authTypeLogic(it.children, keep);
      chain.push({ ...it, children: inner ?? [{ kind: 'word', name: 'noop', line: it.line }] });
      if (inner) chainUsed = true;
      if (it.name === 'else') flush();
      continue;
    }
    flush();
    if (it.name === 'update' && it.name2 === 'control') {
      const pairs = it.children.filter((c) => c.kind === 'pair' && isAuthTypeKey(c.key) && keep.has(c.value));
      if (pairs.length) out.push({ ...it, children: pairs });
    }
  }
  flush();
  return out.length ? out : undefined;
}

/** Configuration items as text (tabs for indentation), values re-quoted as read. */
export function renderItems(items: ConfItem[], depth: number): string[] {
  const tab = '\t'.repeat(depth);
  const quote = (p: ConfPair) => (p.quote === '"' ? `"${p.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : p.quote === "'" ? `'${p.value.replace(/'/g, "\\'")}'` : p.value);
  return items.flatMap((it) => {
    if (it.kind === 'word') return [`${tab}${it.name}`];
    if (it.kind === 'pair') return [`${tab}${it.key} ${it.op} ${quote(it)}`];
    if (it.kind === 'include') return [`${tab}${it.optional ? '$-INCLUDE' : '$INCLUDE'} ${it.path}`];
    return [`${tab}${it.name}${it.name2 ? ' ' + it.name2 : ''} {`, ...renderItems(it.children, depth + 1), `${tab}}`];
  });
}
