#!/usr/bin/env node
// `npm pack` / `npm publish` run this first: a clean build, so the tarball holds dist/ as built
// from the sources being packed (package.json "files" then leaves out the development tools).
import { buildDist, main } from './lib/build.mjs';

await main('prepack', () => buildDist());
