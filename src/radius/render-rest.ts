/**
 * `--module rest`: FreeRADIUS's own rlm_rest (Debian freeradius-rest) posts to /validate/simplecheck
 * and unlang reads the answer. rlm_rest alone decides by HTTP status, and simplecheck answers 200 for
 * accept, reject and challenge, so the body is taken with `force_to = 'plain'` (reply:REST-HTTP-Body)
 * and mapped the way both LinOTP 2 modules did:
 *   `:-)` exactly → ok (Access-Accept);
 *   `:-( <transactionid> <message>` → Access-Challenge, State = transaction id, Reply-Message = message;
 *   anything else (`:-(`, `:-/`, other text) → reject;  no answer / HTTP error → fail.
 * A follow-up request carrying State sends it back as state=. rlm_rest does not escape `data`, so
 * every request value goes through %{urlquote:…}; constants are form-encoded here.
 */
import { formValue, renderListen, safeName, xlatString, confString } from './render.js';
import type { LinotpTarget } from './targets.js';

export interface RestTarget extends LinotpTarget {
  newUrl: string;
  /** Name of the rlm_rest instance serving this Auth-Type. */
  moduleName: string;
}

/** The attribute the request data is assembled in (a control attribute: never sent to the NAS). */
const DATA_ATTR = '&Tmp-String-9';
const DATA_REF = '%{control:Tmp-String-9}';

function origin(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/`;
}

export function renderRestModules(targets: RestTarget[], header: string[]): string {
  const out = header.map((h) => `# ${h}`);
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.moduleName)) continue;
    seen.add(t.moduleName);
    out.push(
      '',
      `# Auth-Type ${targets.filter((x) => x.moduleName === t.moduleName).map((x) => x.authType).join(', ')}; from ${t.origin.join(', ')}`,
      `rest ${t.moduleName} {`,
      '\ttls {',
      ...(t.caFile ? [`\t\t# CA certificates to verify LinOTP's certificate with (CURLOPT_CAINFO; rlm_rest's ca_file is the issuer check)`, `\t\tca_info_file = ${confString(t.caFile)}`] : []),
      ...(t.caDir ? [`\t\tca_path = ${confString(t.caDir)}`] : []),
      `\t\tcheck_cert = ${t.tlsVerifyPeer ? 'yes' : 'no'}`,
      `\t\tcheck_cert_cn = ${t.tlsVerifyHost ? 'yes' : 'no'}`,
      '\t}',
      `\tconnect_uri = ${xlatString(origin(t.newUrl))}`,
      '\tauthenticate {',
      `\t\turi = ${xlatString(t.newUrl)}`,
      "\t\tmethod = 'post'",
      "\t\tbody = 'post'",
      `\t\tdata = "${DATA_REF}"`,
      "\t\tforce_to = 'plain'",
      '\t\ttls = ${..tls}',
      '\t}',
      '\t# Connections are opened on demand; LinOTP answers each request within the timeout (4 s).',
      '\tpool {',
      '\t\tstart = 0',
      '\t\tmin = 0',
      '\t\tmax = 32',
      '\t\tspare = 4',
      '\t\tuses = 0',
      '\t\tretry_delay = 30',
      '\t\tlifetime = 0',
      '\t\tidle_timeout = 60',
      '\t}',
      '}',
    );
  }
  return out.join('\n') + '\n';
}

function authTypeSection(t: RestTarget): string[] {
  const consts = [t.realm ? `&realm=${formValue(t.realm)}` : '', t.resConf ? `&resConf=${formValue(t.resConf)}` : ''].join('');
  // LinOTP 3.4 accepts only an IPv4 dotted quad as client=: NAS-IPv6-Address is not sent.
  const client = t.preferNasAddress ? '%{%{NAS-IP-Address}:-%{Packet-Src-IP-Address}}' : '%{Packet-Src-IP-Address}';
  return [
    `\t\t# ${t.source === 'rlm_perl' ? 'radius_linotp.pm' : 'rlm_linotp2'} settings from ${t.origin.join(', ')}`,
    `\t\tAuth-Type ${safeName(t.authType)} {`,
    ...(t.restrictUsername
      ? ['\t\t\t# rlm_linotp2 restrictusername: only A-Z a-z 0-9 _ + . @ - and at most 256 characters', '\t\t\tif (&User-Name !~ /^[A-Za-z0-9_+.@-]{1,256}$/) {', '\t\t\t\treject', '\t\t\t}']
      : []),
    '\t\t\tupdate control {',
    `\t\t\t\t${DATA_ATTR} := "user=%{urlquote:%{User-Name}}&pass=%{urlquote:%{User-Password}}${consts}&client=${client}"`,
    '\t\t\t}',
    '\t\t\t# the answer to a challenge: LinOTP finds the transaction by state=',
    '\t\t\tif (&State) {',
    '\t\t\t\tupdate control {',
    `\t\t\t\t\t${DATA_ATTR} := "${DATA_REF}&state=%{urlquote:%{string:State}}"`,
    '\t\t\t\t}',
    '\t\t\t}',
    `\t\t\t${t.moduleName} {`,
    '\t\t\t\tfail = 1',
    '\t\t\t\treject = 1',
    '\t\t\t\tinvalid = 1',
    '\t\t\t\tuserlock = 1',
    '\t\t\t\tnotfound = 1',
    '\t\t\t}',
    '\t\t\tif (!ok && !updated) {',
    '\t\t\t\tupdate reply {',
    '\t\t\t\t\t&Reply-Message := "LinOTP server is not available!"',
    '\t\t\t\t}',
    '\t\t\t\tfail',
    '\t\t\t}',
    '\t\t\tif (&reply:REST-HTTP-Body == ":-)") {',
    '\t\t\t\tupdate reply {',
    '\t\t\t\t\t&REST-HTTP-Body !* ANY',
    '\t\t\t\t\t&REST-HTTP-Status-Code !* ANY',
    '\t\t\t\t}',
    '\t\t\t\tok',
    '\t\t\t}',
    '\t\t\telsif (&reply:REST-HTTP-Body =~ /^:-\\( +([^ ]+) *(.*)$/) {',
    '\t\t\t\tupdate reply {',
    '\t\t\t\t\t&State := "%{1}"',
    '\t\t\t\t\t&Reply-Message := "%{2}"',
    '\t\t\t\t\t&REST-HTTP-Body !* ANY',
    '\t\t\t\t\t&REST-HTTP-Status-Code !* ANY',
    '\t\t\t\t}',
    '\t\t\t\tupdate control {',
    '\t\t\t\t\t&Response-Packet-Type := Access-Challenge',
    '\t\t\t\t}',
    '\t\t\t\thandled',
    '\t\t\t}',
    '\t\t\telse {',
    '\t\t\t\tupdate reply {',
    '\t\t\t\t\t&REST-HTTP-Body !* ANY',
    '\t\t\t\t\t&REST-HTTP-Status-Code !* ANY',
    '\t\t\t\t}',
    '\t\t\t\treject',
    '\t\t\t}',
    '\t\t}',
  ];
}

export interface SiteOptions {
  name: string;
  listens: { ipaddr: string; port: string }[];
  defaultAuthType: string;
  /** Call the files instance holding the carried users-file rules. */
  rulesModule?: string;
  /** Carried unlang choosing an Auth-Type (already indented for the authorize section). */
  logic?: string[];
  /** The processing lines of each Auth-Type (rest: the unlang above; perl: the module call). */
  authTypes: string[][];
}

export function renderSite(o: SiteOptions, header: string[]): string {
  return [
    ...header.map((h) => `# ${h}`),
    `server ${o.name} {`,
    ...renderListen(o.listens),
    '\tauthorize {',
    ...(o.rulesModule ? [`\t\t# the old users-file entries that chose an Auth-Type`, `\t\t${o.rulesModule}`] : []),
    ...(o.logic ?? []),
    '\t\tif (!&control:Auth-Type) {',
    '\t\t\tupdate control {',
    `\t\t\t\t&Auth-Type := ${safeName(o.defaultAuthType)}`,
    '\t\t\t}',
    '\t\t}',
    '\t}',
    '\tauthenticate {',
    ...o.authTypes.flat(),
    '\t}',
    '}',
  ].join('\n') + '\n';
}

/** One rlm_rest instance per distinct URL and TLS setting (realm and resConf are in the data, per Auth-Type). */
export function restInstanceNames(targets: (LinotpTarget & { newUrl: string })[], defaultAuthType: string): RestTarget[] {
  const key = (t: LinotpTarget & { newUrl: string }) => JSON.stringify([t.newUrl, t.tlsVerifyPeer, t.tlsVerifyHost, t.caFile, t.caDir]);
  const names = new Map<string, string>();
  const first = targets.find((t) => t.authType === defaultAuthType) ?? targets[0];
  if (first) names.set(key(first), 'linotp');
  return targets.map((t) => {
    if (!names.has(key(t))) names.set(key(t), `linotp_${safeName(t.authType)}`);
    return { ...t, moduleName: names.get(key(t)) as string };
  });
}

export const restAuthTypes = (targets: RestTarget[]): string[][] => targets.map(authTypeSection);
