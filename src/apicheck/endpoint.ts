/**
 * Request target → LinOTP endpoint (`controller/action`). Query strings and fragments are cut
 * before percent-decoding (so `%3F` stays part of the path), absolute-form targets lose their
 * scheme and host, and a reverse-proxy prefix (`/linotp/validate/check`) is found automatically or
 * stripped as given with --prefix.
 */
import { KNOWN_CONTROLLERS } from './rules.js';
import { isKnownAction } from './routes.js';

export type ResolvedTarget =
  | { kind: 'api'; endpoint: string; prefix: string }
  | { kind: 'static' | 'unknownPath' | 'outsidePrefix' };

const STATIC_FILE = /\.(?:js|css|png|gif|jpe?g|ico|svg|woff2?|ttf|eot|map|html?|txt|xml)$/i;

/** Percent-decoding that keeps malformed `%` sequences as they are instead of failing the line. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

export function pathSegments(target: string): string[] {
  let path = target;
  if (!path.startsWith('/')) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(path);
    if (scheme) path = path.slice(scheme[0].length) || '/';
  }
  let cut = path.length;
  const q = path.indexOf('?');
  if (q >= 0) cut = q;
  const h = path.indexOf('#');
  if (h >= 0 && h < cut) cut = h;
  if (cut < path.length) path = path.slice(0, cut);
  return decodePath(path).split('/').filter((s) => s !== '' && s !== '.');
}

/** `--prefix /linotp/` → `['linotp']`. */
export function prefixSegments(prefix: string | undefined): string[] | null {
  if (prefix === undefined) return null;
  return decodePath(prefix).split('/').filter((s) => s !== '');
}

function endpointAt(segs: string[], i: number): string {
  // A bare controller URL keeps its slash (`manage/`), so it reads as a path, not an action.
  return i + 1 < segs.length ? `${segs[i]}/${segs[i + 1]}` : `${segs[i]}/`;
}

export function resolveTarget(target: string, prefix: string[] | null): ResolvedTarget {
  const segs = pathSegments(target);
  if (segs.length > 0 && STATIC_FILE.test(segs[segs.length - 1])) return { kind: 'static' };

  if (prefix) {
    if (segs.length < prefix.length || prefix.some((p, i) => segs[i] !== p)) return { kind: 'outsidePrefix' };
    const i = prefix.length;
    if (i >= segs.length || !KNOWN_CONTROLLERS.has(segs[i])) return { kind: 'unknownPath' };
    return { kind: 'api', endpoint: endpointAt(segs, i), prefix: prefix.length ? '/' + prefix.join('/') : '' };
  }

  // Auto: a known controller/action pair wins over an earlier bare controller name,
  // so a prefix segment that happens to be a controller name (`/admin/linotp/validate/check`) is skipped.
  let first = -1;
  for (let i = 0; i < segs.length; i++) {
    if (!KNOWN_CONTROLLERS.has(segs[i])) continue;
    if (i + 1 < segs.length && isKnownAction(segs[i], segs[i + 1])) {
      first = i;
      break;
    }
    if (first < 0) first = i;
  }
  if (first < 0) return { kind: 'unknownPath' };
  return { kind: 'api', endpoint: endpointAt(segs, first), prefix: first ? '/' + segs.slice(0, first).join('/') : '' };
}

/**
 * resolveTarget with a cache keyed by the path without its query: the same few dozen endpoints make
 * up almost every line, while their query strings are nearly all different.
 */
export class TargetResolver {
  private readonly cache = new Map<string, ResolvedTarget>();
  constructor(private readonly prefix: string[] | null) {}

  resolve(target: string): ResolvedTarget {
    let end = target.indexOf('?');
    if (end < 0) end = target.length;
    const path = end === target.length ? target : target.slice(0, end);
    let r = this.cache.get(path);
    if (r === undefined) {
      r = resolveTarget(path, this.prefix);
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(path, r);
    }
    return r;
  }
}
