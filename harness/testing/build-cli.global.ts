// Before any test spawns the CLI: build dist/ (dist/cli.cjs) when it is missing or older than a source,
// so `npm test` on a fresh clone (or after an edit) runs the code as it stands.
import { buildCli, builtCliIsStale } from '../build/bundle.ts';

export default async function setup(): Promise<void> {
  if (builtCliIsStale()) await buildCli();
}
