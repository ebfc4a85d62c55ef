// Property: whatever document the validator is fed, it returns a scenario or throws a
// ValidationError with a message; it never throws anything else and never hangs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ValidationError } from '../util/errors.ts';
import { parseScenarioText, SCENARIOS_DIR } from './resolve.ts';

const REAL = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(SCENARIOS_DIR, f), 'utf8'));

async function onlyValidationErrors(text: string): Promise<void> {
  try {
    await parseScenarioText('generated.yaml', text);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) expect(issue.message.length).toBeGreaterThan(0);
  }
}

const RUNS = { numRuns: 300 };

describe('the scenario validator', () => {
  it('handles any text', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), onlyValidationErrors), RUNS);
  });

  it('handles any YAML value', async () => {
    // stringify(undefined) gives undefined, not text: such a value is an empty document.
    await fc.assert(fc.asyncProperty(fc.anything({ maxDepth: 4 }), (value) => onlyValidationErrors(stringify(value) ?? '')), RUNS);
  });

  it('handles real scenarios with characters inserted, deleted or replaced', async () => {
    const edit = fc.record({
      file: fc.nat(REAL.length - 1),
      at: fc.nat(),
      cut: fc.nat(40),
      insert: fc.string({ maxLength: 6, unit: fc.constantFrom(...' :-[]{}#&*!|>\'"%@`,\n\t$;0123456789abcxyz'.split('')) }),
    });
    await fc.assert(
      fc.asyncProperty(edit, ({ file, at, cut, insert }) => {
        const text = REAL[file]!;
        const i = at % (text.length + 1);
        return onlyValidationErrors(text.slice(0, i) + insert + text.slice(i + cut));
      }),
      RUNS,
    );
  });

  it('handles real scenarios with any value put at any place', async () => {
    const docs = REAL.map((t) => parse(t) as Record<string, unknown>);
    const mutation = fc.record({ file: fc.nat(docs.length - 1), steps: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), value: fc.anything({ maxDepth: 2 }) });
    await fc.assert(
      fc.asyncProperty(mutation, ({ file, steps, value }) => {
        const doc = structuredClone(docs[file]!);
        // Walk down by the generated indexes, then replace what is there.
        let node: Record<string, unknown> | unknown[] = doc;
        for (const [k, step] of steps.entries()) {
          const keys = Object.keys(node);
          if (keys.length === 0) break;
          const key = keys[step % keys.length]!;
          const child = (node as Record<string, unknown>)[key];
          if (k === steps.length - 1 || child === null || typeof child !== 'object') {
            (node as Record<string, unknown>)[key] = value;
            break;
          }
          node = child as Record<string, unknown>;
        }
        return onlyValidationErrors(stringify(doc));
      }),
      RUNS,
    );
  });
});
