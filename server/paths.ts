import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repository's top folder: the nearest folder above this file with a package.json. The same
 * whether the server runs from its sources (server/) or compiled (dist/server/main.js), so files
 * read at run time (migrations, widget builds, PRIVACY.md) are found either way.
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`no package.json above ${from}: run Kith from its repository folder`);
  }
}

export const repoRoot = findRoot(import.meta.dirname);
