import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { compileTemplate } from '../../src/admins/template.js';
import { checkPassword } from '../../src/admins/policy.js';
import { MigrateError } from '../../src/errors.js';

const row = { groupid: 'LinOTP_local_admins', userid: 'admin', username: 'admin', phone: '', mobile: '+49 1', email: 'a@example.com', surname: 'Lovelace', givenname: "Ada 'Countess'", password: '*', name: 'Ada Lovelace', none: null };

describe('list --format (Python str.format_map subset)', () => {
  const templates = [
    '{username}',
    '{username}:{name}:{email}:{phone}:{mobile}',
    '{{{username}}} {email!r} {givenname!r}',
    '{username:>10}|{email:<15}|{surname:^12}|{surname:*^12}|{givenname:.3}|{none}',
    'plain text',
  ];
  it.each(templates)('matches Python for %j', (t) => {
    const py = execFileSync('python3', ['-c', 'import json,sys; d=json.loads(sys.argv[2]); print(sys.argv[1].format_map(d), end="")', t, JSON.stringify(row)], { encoding: 'utf8' });
    expect(compileTemplate(t).format(row)).toBe(py);
  });

  it("unknown key: LinOTP's message", () => {
    expect(() => compileTemplate('{username} {foo}').format(row)).toThrow("invalid key 'foo' in template");
  });

  it.each(['{', '}', '{a.b}', '{0}', '{}', '{username:%d}', '{username:{width}}'])('rejects %j (exit 1, as LinOTP)', (t) => {
    let err: unknown;
    try {
      compileTemplate(t).format(row);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MigrateError);
    expect((err as MigrateError).exitCode).toBe(1);
  });

  it('checks keys up front when the known keys are given', () => {
    expect(() => compileTemplate('{usrname}', ['username'])).toThrow("invalid key 'usrname' in template");
  });
});

describe('password checks', () => {
  it('refuses empty, short, NUL, oversize', () => {
    expect(checkPassword('').error).toBe('the password is empty');
    expect(checkPassword('short').error).toBe('the password has 5 characters; at least 8 are required');
    expect(checkPassword('Short-12', { minLength: 12 }).error).toMatch(/at least 12/);
    expect(checkPassword('a\0bcdefghij').error).toMatch(/NUL/);
    expect(checkPassword('x'.repeat(5000)).error).toMatch(/4096 bytes/);
    expect(checkPassword('€€€€€€€€').error).toBeUndefined(); // characters, not bytes
  });
  it('warns about weak passwords', () => {
    expect(checkPassword('password').warnings).toContain('it is one of the most common passwords');
    expect(checkPassword('aaaaaaaaaa').warnings).toContain('it repeats one or two characters');
    expect(checkPassword('abcdefghi').warnings).toContain('it is a simple sequence');
    expect(checkPassword('admin-2024!', { account: 'admin' }).warnings).toContain('it contains the account name');
    expect(checkPassword('lowercaseonly').warnings).toEqual([]);
    expect(checkPassword('lowercase').warnings[0]).toMatch(/short \(9 characters\) and uses only one kind/);
    expect(checkPassword('Tr0ub4dor&3x').warnings).toEqual([]);
  });
});
