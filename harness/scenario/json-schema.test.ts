import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas, SCHEMA_DIR } from './json-schema.ts';
import { LABS_DIR, SCENARIOS_DIR } from './resolve.ts';

describe('the JSON Schemas in schema/', () => {
  it.each(Object.entries(jsonSchemas()))('%s is up to date (run `npm run schema` after changing schema.ts)', (name, text) => {
    expect(readFileSync(join(SCHEMA_DIR, name), 'utf8')).toBe(text);
  });

  it('describe the scenario format for editors', () => {
    const schema = JSON.parse(jsonSchemas()['scenario.schema.json']!) as { required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.required).toEqual(['lab', 'title', 'tutorial', 'explain', 'steps', 'checks']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('checks');
  });
});

describe('an editor applying the JSON Schemas', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const schemas = jsonSchemas();
  const scenario = ajv.compile(JSON.parse(schemas['scenario.schema.json']!));
  const lab = ajv.compile(JSON.parse(schemas['lab.schema.json']!));

  it.each(readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml')))('accepts scenarios/%s', (file) => {
    expect(scenario(parse(readFileSync(join(SCENARIOS_DIR, file), 'utf8'))) || scenario.errors).toBe(true);
  });
  it.each(readdirSync(LABS_DIR).filter((f) => f.endsWith('.yaml')))('accepts labs/%s', (file) => {
    expect(lab(parse(readFileSync(join(LABS_DIR, file), 'utf8'))) || lab.errors).toBe(true);
  });
  it('flags an unknown key and a bad VNI type', () => {
    const doc = parse(readFileSync(join(SCENARIOS_DIR, 'p2p.yaml'), 'utf8')) as Record<string, unknown>;
    expect(scenario({ ...doc, colour: 'red' })).toBe(false);
    expect(scenario.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', params: { additionalProperty: 'colour' } });
  });
});
