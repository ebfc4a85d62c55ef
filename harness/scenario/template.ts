// Per-node values in scenario and lab text: `{{ node.index }}`, `{{ node.address }}`,
// `{{ peer.address }}`, `{{ node.index + 1 }}`. Pure: parse once, expand per node, and map any
// offset in the expanded text back to the raw text so errors point at the template's line:col.

/** What a template can read of a lab node. */
export interface TemplateNode {
  name: string;
  index: number;
  /** Underlay address, without prefix length. */
  address: string;
  nic: string;
  mtu: number;
}

export const TEMPLATE_VARIABLES = ['node', 'peer'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export const TEMPLATE_FIELDS = ['name', 'index', 'address', 'nic', 'mtu'] as const;
type Field = (typeof TEMPLATE_FIELDS)[number];

type Part =
  | { kind: 'text'; start: number; text: string }
  | { kind: 'expr'; start: number; end: number; variable: TemplateVariable; field: Field; add: number };

export interface Template {
  raw: string;
  parts: Part[];
  variables: Set<TemplateVariable>;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    message: string,
    /** Offset in the raw text. */
    readonly index: number,
  ) {
    super(message);
  }
}

const EXPRESSION = /^\s*([a-z]+)\.([a-z]+)\s*(?:([+-])\s*(\d{1,6})\s*)?$/;

export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/** Parses `text`; throws TemplateError at the offending offset. `allowed` limits the variables. */
export function parseTemplate(text: string, allowed: readonly TemplateVariable[] = TEMPLATE_VARIABLES): Template {
  const parts: Part[] = [];
  const variables = new Set<TemplateVariable>();
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open < 0) {
      parts.push({ kind: 'text', start: at, text: text.slice(at) });
      break;
    }
    if (open > at) parts.push({ kind: 'text', start: at, text: text.slice(at, open) });
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('has `{{` without its closing `}}`', open);
    const inner = text.slice(open + 2, close);
    const match = EXPRESSION.exec(inner);
    const usage = `expected {{ VARIABLE.FIELD }} with VARIABLE one of ${allowed.join(', ')} and FIELD one of ${TEMPLATE_FIELDS.join(', ')} (index may add or subtract a number: {{ node.index + 1 }})`;
    if (!match) throw new TemplateError(`has \`{{${inner}}}\`: ${usage}`, open);
    const [, variable, field, sign, amount] = match;
    if (!(allowed as readonly string[]).includes(variable!)) {
      throw new TemplateError(`has \`{{${inner}}}\`: ${variable} is not known here; ${usage}`, open);
    }
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(field!)) throw new TemplateError(`has \`{{${inner}}}\`: ${variable}.${field} is not a field; ${usage}`, open);
    if (sign && field !== 'index') throw new TemplateError(`has \`{{${inner}}}\`: only index takes + or -`, open);
    const add = sign ? (sign === '-' ? -1 : 1) * Number(amount) : 0;
    parts.push({ kind: 'expr', start: open, end: close + 2, variable: variable as TemplateVariable, field: field as Field, add });
    variables.add(variable as TemplateVariable);
    at = close + 2;
  }
  return { raw: text, parts, variables };
}

export interface Expansion {
  text: string;
  /** The raw offset of an expanded offset: inside a substituted value, the `{{` of its template. */
  rawOffset(expanded: number): number;
}

export function expandTemplate(template: Template, values: Partial<Record<TemplateVariable, TemplateNode>>): Expansion {
  let text = '';
  const spans: { from: number; to: number; raw: number; literal: boolean }[] = [];
  for (const part of template.parts) {
    const from = text.length;
    if (part.kind === 'text') {
      text += part.text;
      spans.push({ from, to: text.length, raw: part.start, literal: true });
      continue;
    }
    const node = values[part.variable];
    if (!node) throw new TemplateError(`has {{ ${part.variable}.${part.field} }}, which has no value here`, part.start);
    const value = part.field === 'index' ? node.index + part.add : node[part.field];
    text += String(value);
    spans.push({ from, to: text.length, raw: part.start, literal: false });
  }
  return {
    text,
    rawOffset(expanded) {
      const span = spans.find((s) => expanded >= s.from && expanded < s.to) ?? spans.at(-1);
      if (!span) return 0;
      return span.literal ? span.raw + Math.min(expanded - span.from, span.to - span.from) : span.raw;
    },
  };
}

/** Expands a plain string with the given values, or returns it unchanged when it has no template. */
export function expandText(text: string, values: Partial<Record<TemplateVariable, TemplateNode>>, allowed?: readonly TemplateVariable[]): string {
  return hasTemplate(text) ? expandTemplate(parseTemplate(text, allowed), values).text : text;
}
