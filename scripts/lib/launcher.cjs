#!/usr/bin/env node
// linotp-migrate launcher of the offline bundle and the Debian package (written by scripts/bundle.mjs
// and scripts/deb.mjs, which fill in the values below). The bundled better-sqlite3 is compiled for one
// Node.js module ABI; under another Node it would fail only when a SQLite database is opened, so the
// launcher refuses at once, in one line. CommonJS in plain old syntax (bin/package.json says
// "commonjs"), so that even a much older Node gets as far as the message.
'use strict';
var BUILT_FOR = { abi: '@ABI@', major: @NODE_MAJOR@, minMinor: @NODE_MIN_MINOR@, node: '@NODE_VERSION@', tool: '@TOOL_VERSION@' };

var parts = process.versions.node.split('.');
var major = Number(parts[0]);
var minor = Number(parts[1]);
if (process.versions.modules !== BUILT_FOR.abi || major !== BUILT_FOR.major || minor < BUILT_FOR.minMinor) {
  process.stderr.write(
    'error: linotp-migrate ' + BUILT_FOR.tool + ' was built for Node.js ' + BUILT_FOR.major + '.x (>= ' + BUILT_FOR.major + '.' + BUILT_FOR.minMinor +
      ', module ABI ' + BUILT_FOR.abi + '), but ' + process.execPath + ' is Node.js ' + process.versions.node + ' (ABI ' + process.versions.modules +
      '): install Node.js ' + BUILT_FOR.major + ' >= ' + BUILT_FOR.major + '.' + BUILT_FOR.minMinor + ', or use the linotp-migrate build for node' + process.versions.modules + '\n',
  );
  process.exit(1);
}

var path = require('path');
var url = require('url');
// import() through Function: a Node too old to parse import() has been stopped above already.
var load = new Function('specifier', 'return import(specifier)');
load(url.pathToFileURL(path.join(__dirname, '..', 'dist', 'cli', 'main.js')).href)
  .then(function (m) {
    return m.main(process.argv);
  })
  .catch(function (err) {
    process.stderr.write('error: linotp-migrate cannot start: ' + (err && err.message ? err.message : err) + '\n');
    process.exitCode = 1;
  });
