/**
 * The LinOTP 3.4 settings the RADIUS path depends on. Both LinOTP 2 modules (and the converted
 * configuration) send `client=<NAS address>`; LinOTP 3.4 uses it only when
 * GET_CLIENT_ADDRESS_FROM_POST_DATA is true (its default) AND the address the request comes from is
 * listed in the system config `mayOverwriteClient` (exact addresses, comma separated; no networks),
 * and then only if it is an IPv4 dotted quad (`branch-v3.4:linotp/lib/util.py` get_client,
 * `linotp/lib/type_utils.py` is_ip_address_dotted_quad; anything else raises and the request fails).
 * Without that, client-based policies and realms see the FreeRADIUS host's address instead.
 */
import type { LinotpTarget } from './targets.js';

export interface Linotp3Setting {
  name: string;
  where: 'linotp.cfg' | 'system config';
  value: string;
  why: string;
}

export function linotp3Settings(radiusUsed: boolean, targets: LinotpTarget[]): Linotp3Setting[] {
  if (!radiusUsed) return [];
  const local = targets.some((t) => t.url && /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//i.test(t.url));
  return [
    {
      name: 'GET_CLIENT_ADDRESS_FROM_POST_DATA',
      where: 'linotp.cfg',
      value: 'True',
      why: "LinOTP 3.4's default (keep it; False makes LinOTP ignore the NAS address FreeRADIUS sends as client=)",
    },
    {
      name: 'mayOverwriteClient',
      where: 'system config',
      value: local ? '127.0.0.1' : '<IPv4 address the FreeRADIUS host connects to LinOTP 3 from>',
      why:
        'comma-separated exact addresses allowed to pass client= (manage UI: System Config → "Override authentication client", or POST /system/setConfig mayOverwriteClient=…); ' +
        'behind a proxy it is the address after TRUSTED_PROXIES/X-Forwarded-For processing. Only IPv4 NAS addresses are sent: LinOTP 3.4 refuses any other client address',
    },
  ];
}
