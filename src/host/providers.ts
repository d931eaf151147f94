/**
 * Provider definitions (SMS, email, push, voice) as LinOTP stores them in Config, and what
 * LinOTP 3.4 cannot load as they are.
 *
 * Storage (branch-v2.12 and branch-v3.4 `linotp/provider/__init__.py`): the new format is
 * `linotp.<T>Provider.<name>` = class, `….Config` = the JSON config (Type encrypted_data, chunked
 * when long), `….Timeout`; the legacy one (2.x only) `linotp.SMSProvider` + `linotp.SMSProviderConfig`
 * (and Email), which 3.4 reads as the provider `imported_default`.
 *
 * What 3.4 does with certificate settings: `ConfigParsingMixin.load_server_cert`
 * (`linotp/provider/config_parsing.py`) takes a string as a file or directory path and raises
 * IOError when neither exists (''/'false'/False switch checking off or to the system store);
 * `access_certificate` (push, voice) raises the same way; `CLIENT_CERTIFICATE_FILE` (REST SMS) and
 * the SMTP `certfile`/`keyfile`/`CERTFILE`/`KEYFILE` are handed to the library as paths. LinOTP 2's
 * HTTP SMS provider never read `SERVER_CERTIFICATE` (httplib2 without verification), so a PEM
 * pasted there worked on 2.x and makes every SMS fail on 3.4.
 */
import { existsSync } from 'node:fs';
import { groupConfigRows, type ConfigEntry, type ConfigRow } from '../crypto/chunks.js';
import type { EncKey } from '../crypto/enckey.js';
import { decryptConfigValue, isEncryptedConfigType } from '../crypto/values.js';

export type ProviderType = 'sms' | 'email' | 'push' | 'voice';

const PREFIX: Record<ProviderType, string> = { sms: 'SMSProvider', email: 'EmailProvider', push: 'PushProvider', voice: 'VoiceProvider' };

/** Keys 3.4 reads as a server-certificate policy (load_server_cert): '' and 'false' are fine. */
const SERVER_CERT_KEYS = new Set(['SERVER_CERTIFICATE', 'server_certificate']);
/** Keys 3.4 reads as a plain file path. */
const FILE_KEYS = new Set(['access_certificate', 'CLIENT_CERTIFICATE_FILE', 'certfile', 'keyfile', 'CERTFILE', 'KEYFILE']);

export function isCertificateKey(k: string): boolean {
  return SERVER_CERT_KEYS.has(k) || FILE_KEYS.has(k);
}

export interface ProviderDefinition {
  type: ProviderType;
  name: string;
  className: string;
  /** The Config key holding the class name (`linotp.SMSProvider.corpsms`, legacy `linotp.SMSProvider`). */
  classKey: string;
  /** The logical Config key holding the JSON (`linotp.SMSProvider.corpsms.Config`). */
  configKey: string;
  /** Physical Config rows of that value (more than one when chunked). */
  rowKeys: string[];
  configType: string | null;
  configDescription: string | null;
  encrypted: boolean;
  /** The decrypted, parsed config; absent when it could not be read (see `unreadable`). */
  config?: Record<string, unknown>;
  unreadable?: 'no-key' | 'undecryptable' | 'not-json';
}

export type ProviderProblemKind = 'inline-pem' | 'old-path' | 'missing-file' | 'not-json' | 'undecryptable' | 'unknown-class';

/**
 * The class names LinOTP 3.4 resolves (branch-v3.4 `@provider_registry.class_entry` names and
 * `ProviderClass_lookup`). Any other name goes to its fallback `__import__(…, level=1)`, relative
 * to linotp.provider, so a fully qualified `linotp.provider.x.Module.Class` that LinOTP 2 imported
 * absolutely no longer loads.
 */
export const LINOTP_3_4_PROVIDER_CLASSES = new Set([
  'CustomVoiceProvider', 'custom_voice_provider.CustomVoiceProvider', 'linotp.provider.CustomVoiceProvider', 'linotp.provider.voiceprovider.custom_voice_provider.CustomVoiceProvider',
  'DefaultPushProvider', 'linotp.lib.pushprovider.DefaultPushProvider', 'linotp.provider.DefaultPushProvider', 'linotp.provider.pushprovider.default_push_provider.DefaultPushProvider',
  'SMTPEmailProvider', 'linotp.lib.emailprovider.SMTPEmailProvider', 'linotp.provider.emailprovider.SMTPEmailProvider', 'emailprovider.HttpemailProvider.HttpSMSProvider',
  ...['DeviceSMSProvider', 'FileSMSProvider', 'HttpSMSProvider', 'RestSMSProvider', 'SMPPSMSProvider', 'SmtpSMSProvider'].flatMap((c) => [c, `linotp.provider.smsprovider.${c}`, `smsprovider.${c}`, `smsprovider.${c}.${c}`]),
]);

/** The registered name for a class LinOTP 2 named by its full module path (`linotp.provider.smsprovider.HttpSMSProvider.HttpSMSProvider`). */
export function registeredClassName(className: string): string | undefined {
  if (LINOTP_3_4_PROVIDER_CLASSES.has(className)) return className;
  const m = /^linotp\.provider\.(smsprovider)\.([A-Za-z]+)\.\2$/.exec(className);
  return m && LINOTP_3_4_PROVIDER_CLASSES.has(`${m[1]}.${m[2]}.${m[2]}`) ? `${m[1]}.${m[2]}.${m[2]}` : undefined;
}

export interface ProviderProblem {
  type: ProviderType;
  provider: string;
  /** The key inside the provider's config (SERVER_CERTIFICATE …), or '' for the whole config. */
  key: string;
  kind: ProviderProblemKind;
  /** error = 3.4 cannot load/use it; warning = works on this host only if the file stays there. */
  severity: 'error' | 'warning';
  detail: string;
}

export const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/;

function definitionFor(type: ProviderType, name: string, classKey: string, className: string, cfg: ConfigEntry | undefined, key: EncKey | undefined): ProviderDefinition | undefined {
  if (!cfg) return undefined;
  const def: ProviderDefinition = {
    type,
    name,
    className,
    classKey,
    configKey: cfg.key,
    rowKeys: cfg.rowKeys,
    configType: cfg.type,
    configDescription: cfg.description,
    encrypted: isEncryptedConfigType(cfg.type),
  };
  let text = cfg.value ?? '';
  if (def.encrypted) {
    if (!key) return { ...def, unreadable: 'no-key' };
    let d;
    try {
      d = decryptConfigValue(key, text);
    } catch {
      return { ...def, unreadable: 'undecryptable' };
    }
    if (!d.ok) return { ...def, unreadable: 'undecryptable' };
    text = d.value;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { ...def, unreadable: 'not-json' };
    return { ...def, config: parsed as Record<string, unknown> };
  } catch {
    return { ...def, unreadable: 'not-json' };
  }
}

/** Every provider definition in the Config rows (chunks reassembled, decrypted with `key`). */
export function readProviders(rows: readonly ConfigRow[], key: EncKey | undefined): ProviderDefinition[] {
  const { entries } = groupConfigRows(rows);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const out: ProviderDefinition[] = [];
  for (const type of Object.keys(PREFIX) as ProviderType[]) {
    const p = `linotp.${PREFIX[type]}`;
    for (const e of entries) {
      const parts = e.key.split('.');
      if (e.key.startsWith(`${p}.`) && parts.length === 3) {
        const d = definitionFor(type, parts[2], e.key, String(e.value ?? ''), byKey.get(`${e.key}.Config`), key);
        if (d) out.push(d);
      }
    }
    // Legacy (2.x) form, read by 3.4 as `imported_default`; only sms and email had it.
    const legacy = byKey.get(`${p}Config`);
    if ((type === 'sms' || type === 'email') && legacy) {
      const d = definitionFor(type, 'imported_default', p, String(byKey.get(p)?.value ?? ''), legacy, key);
      if (d) out.push(d);
    }
  }
  return out;
}

export interface ProblemContext {
  /** Whether a path exists on the host LinOTP 3 will run on (default: this machine). */
  exists?: (path: string) => boolean;
}

/** What 3.4 cannot use in one definition, by key. */
export function providerProblems(def: ProviderDefinition, ctx: ProblemContext = {}): ProviderProblem[] {
  const exists = ctx.exists ?? existsSync;
  const base = { type: def.type, provider: def.name };
  if (def.unreadable === 'not-json') return [{ ...base, key: '', kind: 'not-json', severity: 'error', detail: `${def.configKey} is not a JSON object: LinOTP 3.4 cannot load this provider` }];
  if (def.unreadable === 'undecryptable') return [{ ...base, key: '', kind: 'undecryptable', severity: 'error', detail: `${def.configKey} does not decrypt with this encKey` }];
  const out: ProviderProblem[] = [];
  // The legacy form names no class of its own when linotp.SMSProvider is absent; 3.4 then uses its default.
  if (def.className && !LINOTP_3_4_PROVIDER_CLASSES.has(def.className)) {
    const fix = registeredClassName(def.className);
    out.push({ ...base, key: 'Class', kind: 'unknown-class', severity: 'error', detail: `class ${def.className} is not a provider class LinOTP 3.4 knows${fix ? ` (it is ${fix}; \`init database --provider-files-dir\` rewrites it)` : ''}: loading the provider fails` });
  }
  if (!def.config) return out;
  for (const [k, v] of Object.entries(def.config)) {
    if (!isCertificateKey(k) || typeof v !== 'string') continue;
    const value = v.trim();
    if (value === '' || (SERVER_CERT_KEYS.has(k) && value.toLowerCase() === 'false')) continue;
    if (PEM_BLOCK.test(value) || value.includes('-----BEGIN ')) {
      out.push({ ...base, key: k, kind: 'inline-pem', severity: 'error', detail: `${k} holds a PEM text where LinOTP 3.4 reads a file path (load_server_cert raises IOError): write it to a file with \`init database --provider-files-dir DIR\`` });
    } else if (!exists(value)) {
      const old = value.startsWith('/etc/linotp2/');
      out.push({ ...base, key: k, kind: old ? 'old-path' : 'missing-file', severity: 'error', detail: `${k} = ${value}: no such file on this host${old ? ' (LinOTP 3 lives in /etc/linotp; `host migrate` copies and rebases it)' : ''}` });
    } else if (value.startsWith('/etc/linotp2/')) {
      out.push({ ...base, key: k, kind: 'old-path', severity: 'warning', detail: `${k} = ${value}: a path into LinOTP 2's directory, which LinOTP 3's packaging moves to /etc/linotp` });
    }
  }
  return out;
}
