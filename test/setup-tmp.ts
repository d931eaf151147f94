// Runs in every test file (vitest setupFiles): the temporary directories of test/helpers/tmp.ts go when the file ends.
import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/tmp.js';

afterAll(removeTempDirs);
