"""
Reference DDL for the differential test in ddl.test.ts.

Declares the LinOTP 2.12 / 3.4 tables from the facts in shared/reference/linotp-schema.md
(written here independently, not copied from LinOTP) and prints what the SQLAlchemy DDL
compiler emits for mysql, postgresql and sqlite as JSON: {engine: {table: [stmt, ...]}}.

LinOTP 2.12 and 3.4 pin SQLAlchemy<1.4; Debian bookworm ships 1.4, whose compiler emits the
same DDL once Boolean(create_constraint=True) restores the <1.4 default. Run with the system
python that has python3-sqlalchemy: /usr/bin/python3 sa_reference_ddl.py
"""
import json
import sys

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

md = sa.MetaData()
U = sa.Unicode
I = sa.Integer


def B():
    return sa.Boolean(create_constraint=True)


def pk(name):
    return sa.Column(name, I(), primary_key=True, nullable=False)


sa.Table('Config', md,
         sa.Column('Key', U(255), primary_key=True, nullable=False),
         sa.Column('Value', U(2000)), sa.Column('Type', U(2000)), sa.Column('Description', U(2000)))
sa.Table('Token', md,
         pk('LinOtpTokenId'),
         sa.Column('LinOtpTokenDesc', U(80)),
         sa.Column('LinOtpTokenSerialnumber', U(40), unique=True, nullable=False, index=True),
         sa.Column('LinOtpTokenType', U(30), index=True),
         sa.Column('LinOtpTokenInfo', U(2000)),
         sa.Column('LinOtpTokenPinUser', U(512)), sa.Column('LinOtpTokenPinUserIV', U(32)),
         sa.Column('LinOtpTokenPinSO', U(512)), sa.Column('LinOtpTokenPinSOIV', U(32)),
         sa.Column('LinOtpIdResolver', U(120), index=True),
         sa.Column('LinOtpIdResClass', U(120)),
         sa.Column('LinOtpUserid', U(320), index=True),
         sa.Column('LinOtpSeed', U(32)), sa.Column('LinOtpOtpLen', I()),
         sa.Column('LinOtpPinHash', U(512)), sa.Column('LinOtpKeyEnc', U(1024)), sa.Column('LinOtpKeyIV', U(32)),
         sa.Column('LinOtpMaxFail', I()), sa.Column('LinOtpIsactive', B()),
         sa.Column('LinOtpFailCount', I()), sa.Column('LinOtpCount', I()),
         sa.Column('LinOtpCountWindow', I()), sa.Column('LinOtpSyncWindow', I()),
         sa.Column('LinOtpCreationDate', sa.DateTime, index=True),
         sa.Column('LinOtpLastAuthSuccess', sa.DateTime, index=True),
         sa.Column('LinOtpLastAuthMatch', sa.DateTime, index=True))
sa.Table('Realm', md, pk('id'),
         sa.Column('name', U(255), unique=True, nullable=False),
         sa.Column('default', B()), sa.Column('option', U(40)))
sa.Table('TokenRealm', md, pk('id'),
         sa.Column('token_id', I(), sa.ForeignKey('Token.LinOtpTokenId')),
         sa.Column('realm_id', I(), sa.ForeignKey('Realm.id')))
sa.Table('challenges', md, pk('id'),
         sa.Column('transid', U(64), unique=True, nullable=False, index=True),
         sa.Column('ptransid', U(64), index=True),
         sa.Column('data', U(512)), sa.Column('bdata', sa.LargeBinary()),
         sa.Column('challenge', U(512)), sa.Column('lchallenge', U(2000)),
         sa.Column('bchallenge', sa.LargeBinary()),
         sa.Column('session', U(512)), sa.Column('tokenserial', U(64), index=True),
         sa.Column('timestamp', sa.DateTime), sa.Column('received_count', I()),
         sa.Column('received_tan', B()), sa.Column('valid_tan', B()))
sa.Table('ocra', md, pk('id'),
         sa.Column('transid', U(20), unique=True, nullable=False, index=True),
         sa.Column('data', U(512)), sa.Column('challenge', U(256)), sa.Column('session', U(512)),
         sa.Column('tokenserial', U(64)), sa.Column('timestamp', sa.DateTime),
         sa.Column('received_count', I()), sa.Column('received_tan', B()), sa.Column('valid_tan', B()))
sa.Table('REPORTING', md, pk('R_ID'),
         sa.Column('R_TIMESTAMP', sa.DateTime), sa.Column('R_EVENT', U(250)), sa.Column('R_REALM', U(250)),
         sa.Column('R_PARAMETER', U(250)), sa.Column('R_VALUE', U(250)), sa.Column('R_COUNT', I()),
         sa.Column('R_DETAIL', U(2000)), sa.Column('R_SESSION', U(250)), sa.Column('R_DESCRIPTION', U(2000)))
sa.Table('logging_config', md,
         sa.Column('name', sa.String(200), primary_key=True, nullable=False), sa.Column('level', I()))
sa.Table('audit', md,
         sa.Column('id', I(), primary_key=True),
         sa.Column('timestamp', U(30), index=True), sa.Column('signature', U(512)),
         sa.Column('action', U(30), index=True), sa.Column('success', U(30)),
         sa.Column('serial', U(30), index=True), sa.Column('tokentype', U(40)),
         sa.Column('user', U(255), index=True), sa.Column('realm', U(255), index=True),
         sa.Column('administrator', U(255)), sa.Column('action_detail', U(512)), sa.Column('info', U(512)),
         sa.Column('linotp_server', U(80)), sa.Column('client', U(80)),
         sa.Column('log_level', U(20), index=True), sa.Column('clearance_level', I()))


def user_table(name, **kw):
    uniq = name == 'admin_users'
    return sa.Table(name, md,
                    sa.Column('groupid', U(100), primary_key=True, index=True),
                    sa.Column('userid', U(100), primary_key=True, index=True),
                    sa.Column('username', U(255), index=True, unique=uniq),
                    sa.Column('phone', U(100)), sa.Column('mobile', U(100)), sa.Column('email', U(100)),
                    sa.Column('surname', U(100)), sa.Column('givenname', U(100)),
                    sa.Column('password', U(255), index=not uniq), **kw)


user_table('imported_user', mysql_collate='utf8_unicode_ci', mysql_charset='utf8')
user_table('admin_users')

out = {}
for ename, dialect in (('mysql', mysql.dialect()), ('postgres', postgresql.dialect()), ('sqlite', sqlite.dialect())):
    out[ename] = {}
    for t in md.sorted_tables:
        stmts = [str(CreateTable(t).compile(dialect=dialect)).strip()]
        for ix in sorted(t.indexes, key=lambda i: i.name):
            stmts.append(str(CreateIndex(ix).compile(dialect=dialect)).strip())
        out[ename][t.name] = stmts
json.dump(out, sys.stdout, indent=1)
