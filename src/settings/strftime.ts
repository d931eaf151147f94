/**
 * Python's `datetime.now().strftime(fmt)` (local time, C locale) for LinOTP's
 * BACKUP_FILE_TIME_FORMAT, which names backup copies (`<file>.<time>`) and audit exports
 * (`SQLAuditExport.<time>.<id>.csv`). Directives outside the C89 set plus %f are refused
 * rather than guessed, so a file name never differs from LinOTP's silently.
 */
import { InputError } from '../errors.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function strftime(fmt: string, d: Date, setting = 'BACKUP_FILE_TIME_FORMAT'): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const start = new Date(d.getFullYear(), 0, 1);
  const yday = Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86400000) + 1;
  const off = -d.getTimezoneOffset();
  return fmt.replace(/%(.?)/gs, (_, c: string) => {
    switch (c) {
      case 'Y': return String(d.getFullYear());
      case 'y': return p(d.getFullYear() % 100);
      case 'm': return p(d.getMonth() + 1);
      case 'd': return p(d.getDate());
      case 'H': return p(d.getHours());
      case 'I': return p(d.getHours() % 12 || 12);
      case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
      case 'M': return p(d.getMinutes());
      case 'S': return p(d.getSeconds());
      case 'f': return p(d.getMilliseconds() * 1000, 6);
      case 'j': return p(yday, 3);
      case 'a': return DAYS[d.getDay()].slice(0, 3);
      case 'A': return DAYS[d.getDay()];
      case 'b': return MONTHS[d.getMonth()].slice(0, 3);
      case 'B': return MONTHS[d.getMonth()];
      case 'w': return String(d.getDay());
      case 'z': return (off < 0 ? '-' : '+') + p(Math.floor(Math.abs(off) / 60)) + p(Math.abs(off) % 60);
      case '%': return '%';
      default:
        throw new InputError(`${setting} ${JSON.stringify(fmt)} uses %${c}, which this tool does not reproduce`, 'use %Y %m %d %H %M %S %f %j %y %a %b (LinOTP\'s default is %Y-%m-%d_%H-%M)');
    }
  });
}
