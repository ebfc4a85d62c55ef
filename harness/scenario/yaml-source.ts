// A YAML document that remembers where every value came from, so errors can point at it.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { ValidationIssue } from '../util/errors.ts';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  file: string;
  text: string;
  value: unknown;
  /** Position of the value at `path`, or of the key itself with `key: true`; falls back to the nearest parent. */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): Position;
  /** Position of character `index` inside the string scalar at `path`, when the source maps one to one. */
  locateInString(path: readonly PathSegment[], index: number): Position;
  issue(path: readonly PathSegment[], message: string, options?: { key?: boolean }): ValidationIssue;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

function child(node: unknown, segment: PathSegment, key: boolean): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
    if (!pair) return undefined;
    return key ? pair.key : (pair.value ?? pair.key);
  }
  if (isSeq(node) && typeof segment === 'number') return node.items[segment];
  return undefined;
}

/** Parses YAML; returns the source or the syntax issues (never throws for bad input). */
export function parseYaml(file: string, text: string): YamlSource | ValidationIssue[] {
  if (text.includes('\u0000')) return [{ file, path: '', message: 'is not a text file (it contains NUL bytes); expected YAML' }];
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  if (doc.errors.length > 0) {
    return doc.errors.map((e) => ({ file, ...pos(e.pos[0]), path: '', message: `is not valid YAML: ${e.message.split('\n')[0]}` }));
  }
  if (doc.contents === null || text.trim() === '') return [{ file, line: 1, col: 1, path: '', message: 'is empty; expected a YAML mapping' }];
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias with no anchor, or aliases that expand too far: the parser accepts both, toJS does not.
    let at = 0;
    visit(doc, {
      Alias(_, node) {
        if (!node.resolve(doc)) {
          at = node.range?.[0] ?? 0;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    return [{ file, ...pos(at), path: '', message: `is not valid YAML: ${error instanceof Error ? error.message : String(error)}` }];
  }

  const locateNode = (path: readonly PathSegment[], key: boolean): YamlNode | undefined => {
    let node: unknown = doc.contents;
    let last = node as YamlNode | undefined;
    for (const [i, segment] of path.entries()) {
      node = child(node, segment, key && i === path.length - 1);
      if (node === undefined || node === null) break;
      last = node as YamlNode;
    }
    return last;
  };
  const source: YamlSource = {
    file,
    text,
    value,
    locate(path, options) {
      const node = locateNode(path, options?.key ?? false);
      return pos(node?.range?.[0] ?? 0);
    },
    locateInString(path, index) {
      const node = locateNode(path, false);
      if (isScalar(node) && typeof node.value === 'string' && node.range) {
        const [start, end] = node.range;
        const raw = text.slice(start, end);
        // Plain and single-line quoted scalars map characters one to one (after the quote).
        if (raw === node.value) return pos(start + index);
        if ((raw.startsWith("'") || raw.startsWith('"')) && raw.slice(1, -1) === node.value) return pos(start + 1 + index);
        return pos(start);
      }
      return pos(node?.range?.[0] ?? 0);
    },
    issue(path, message, options) {
      return { file, ...source.locate(path, options), path: formatPath(path), message };
    },
  };
  return source;
}
