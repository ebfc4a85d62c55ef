// Turns zod issues into messages that say what was expected and what was found.
import * as z from 'zod';
import type { ValidationIssue } from '../util/errors.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** The keys an object schema accepts at `path`, found by walking the schema like the data. */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    let t = s;
    for (;;) {
      if (t instanceof z.ZodOptional || t instanceof z.ZodDefault || t instanceof z.ZodNullable) t = t.unwrap() as z.ZodType;
      else if (t instanceof z.ZodPipe) t = t.in as z.ZodType;
      else return t;
    }
  };
  for (const segment of path) {
    if (!current) return undefined;
    const s = unwrap(current);
    if (s instanceof z.ZodObject) current = s.shape[String(segment)] as z.ZodType | undefined;
    else if (s instanceof z.ZodArray) current = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) current = s.valueType as z.ZodType;
    else if (s instanceof z.ZodUnion) current = (s.options as z.ZodType[]).map(unwrap).find((o) => o instanceof z.ZodObject);
    else return undefined;
  }
  if (!current) return undefined;
  const s = unwrap(current);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodUnion) {
    const object = (s.options as z.ZodType[]).map(unwrap).find((o) => o instanceof z.ZodObject);
    if (object instanceof z.ZodObject) return Object.keys(object.shape);
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (actual === undefined) return `is missing: expected ${issue.expected}`;
      return `expected ${issue.expected}, got ${describeValue(actual)}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${issue.maximum} items, got ${Array.isArray(actual) ? actual.length : '?'}`;
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters, got ${describeValue(actual)}`;
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${describeValue(actual)}`;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}, got ${Array.isArray(actual) ? actual.length : '?'}`;
      if (issue.origin === 'string') return `expected non-empty text, got ${describeValue(actual)}`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${describeValue(actual)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(actual)}`;
    case 'invalid_union':
      return `${issue.message === 'Invalid input' ? 'has an unexpected form' : issue.message}, got ${describeValue(actual)}`;
    case 'not_multiple_of':
      return `expected a whole number, got ${describeValue(actual)}`;
    default:
      return actual === undefined || issue.code === 'custom' ? issue.message : `${issue.message}, got ${describeValue(actual)}`;
  }
}

export function zodIssuesToValidation(schema: z.ZodType, error: z.ZodError, source: YamlSource): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        out.push(
          source.issue([...path, key], `is not a known key${known ? `; expected one of ${known.join(', ')}` : ''}`, { key: true }),
        );
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      out.push(source.issue(path, `is not a valid name: ${issue.issues[0]?.message ?? issue.message}`, { key: true }));
      continue;
    }
    out.push(source.issue(path, describeIssue(issue, valueAt(source.value, path))));
  }
  return out;
}
