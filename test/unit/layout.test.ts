/**
 * The layout a newcomer can rely on, read from the import graph of the source files:
 *   shared/     code every part uses; imports nothing from server/, extension/ or widgets/
 *   server/     never imports the widget kit; only server/routers/ and the root router
 *               (server/router.ts) import a router
 *   extension/  never imports the widget kit; from server/ only the `AppRouter` type
 *   widgets/    from server/ only the `AppRouter` type
 * and no import cycles beyond the ones listed below (each list is checked for stale entries, so
 * an entry is removed as soon as its violation is gone).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const PARTS = ['shared', 'server', 'extension', 'widgets'] as const;

/** Files outside server/routers/ that import a router (none: routers sit on top of the domains). */
const ROUTER_IMPORTERS_ALLOWED: string[] = [];

/**
 * Import cycles that exist today, each as the sorted files of one strongly connected component
 * (type-only imports count: they tie the files together for a reader just the same).
 */
const CYCLES_ALLOWED: string[][] = [];

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  names: string[];
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(file);
      } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(file);
    }
  };
  walk(dir);
  return out;
}

function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    `${base}/index.ts`,
    `${base}/index.tsx`,
  ]) {
    try {
      if (/\.tsx?$/.test(candidate) && statSync(path.join(root, candidate)).isFile())
        return candidate;
    } catch {
      // Not this one.
    }
  }
  return null;
}

function importsOf(file: string): Edge[] {
  const code = readFileSync(path.join(root, file), 'utf8');
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, false);
  const edges: Edge[] = [];
  const add = (specifier: ts.Expression, typeOnly: boolean, names: string[]) => {
    if (!ts.isStringLiteral(specifier)) return;
    const to = resolve(file, specifier.text);
    if (to) edges.push({ from: file, to, typeOnly, names });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named =
        clause?.namedBindings && ts.isNamedImports(clause.namedBindings)
          ? clause.namedBindings.elements
          : undefined;
      const typeOnly = Boolean(
        clause &&
          (clause.isTypeOnly ||
            (!clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly))),
      );
      add(node.moduleSpecifier, typeOnly, named?.map((e) => e.name.text) ?? []);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named =
        node.exportClause && ts.isNamedExports(node.exportClause)
          ? node.exportClause.elements
          : undefined;
      const typeOnly =
        node.isTypeOnly || Boolean(named && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, typeOnly, named?.map((e) => e.name.text) ?? []);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0]
    ) {
      add(node.arguments[0], false, []);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, true, []);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const files = PARTS.flatMap(sourceFiles);
const edges = files.flatMap(importsOf);
const partOf = (file: string) => file.split('/')[0];
const show = (e: Edge) => `${e.from} -> ${e.to}`;

/** Strongly connected components of more than one file (Tarjan), each sorted. */
function cycles(): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) connect(file);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('the source layout', () => {
  it('reads the import graph of every part', () => {
    // A guard for the checks below: an empty graph would pass them all.
    expect(files.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual(
      expect.objectContaining({ from: 'server/main.ts', to: 'server/app.ts' }),
    );
  });

  it('shared code imports nothing from the server, the extension or the widgets', () => {
    const bad = edges.filter((e) => partOf(e.from) === 'shared' && partOf(e.to) !== 'shared');
    expect(bad.map(show)).toEqual([]);
  });

  it('the server and the extension never import from the widget kit', () => {
    const bad = edges.filter(
      (e) => ['server', 'extension'].includes(partOf(e.from)!) && partOf(e.to) === 'widgets',
    );
    expect(bad.map(show)).toEqual([]);
  });

  it('the extension and the widgets import from the server only the AppRouter type', () => {
    const bad = edges.filter(
      (e) =>
        ['extension', 'widgets'].includes(partOf(e.from)!) &&
        partOf(e.to) === 'server' &&
        !(e.typeOnly && e.to === 'server/router.ts' && e.names.every((n) => n === 'AppRouter')),
    );
    expect(bad.map(show)).toEqual([]);
  });

  it('only routers import routers (known exceptions listed, none stale)', () => {
    const found = edges
      .filter(
        (e) =>
          e.from.startsWith('server/') &&
          !e.from.startsWith('server/routers/') &&
          e.from !== 'server/router.ts' &&
          e.to.startsWith('server/routers/'),
      )
      .map(show);
    expect([...new Set(found)].sort()).toEqual([...ROUTER_IMPORTERS_ALLOWED].sort());
  });

  it('no import cycles beyond the known ones, none stale', () => {
    expect(cycles()).toEqual(CYCLES_ALLOWED);
  });
});
