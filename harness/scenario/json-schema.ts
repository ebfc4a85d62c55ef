// JSON Schemas for editors, generated from the zod schemas: `npm run schema` rewrites schema/.
// Scenario and lab files name them in a first-line `yaml-language-server` comment.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { PROJECT_ROOT } from './resolve.ts';
import { labFileSchema, scenarioFileSchema } from './schema.ts';

export const SCHEMA_DIR = join(PROJECT_ROOT, 'schema');

export function jsonSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, title: string) =>
    `${JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', reused: 'ref' }) }, null, 2)}\n`;
  return {
    'scenario.schema.json': render(scenarioFileSchema, 'vxlab scenario (scenarios/*.yaml)'),
    'lab.schema.json': render(labFileSchema, 'vxlab lab topology (labs/*.yaml)'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, text] of Object.entries(jsonSchemas())) {
    writeFileSync(join(SCHEMA_DIR, name), text);
    process.stdout.write(`wrote schema/${name}\n`);
  }
}
