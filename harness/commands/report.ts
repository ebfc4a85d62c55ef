// `npm run lab -- report FILE.tap... [--markdown] [--junit FILE]`: one summary of the TAP files
// that runs wrote (shards, backends). Never runs a lab.
//
// Exit codes: 0 every scenario passed (a skipped run counts as passed and is named); 1 a scenario
// failed; 2 no file, a file that cannot be read, or TAP that is not whole (no plan, cut short,
// bail out, non-TAP lines), each problem named by file and line on stderr.
import { writeFile } from 'node:fs/promises';
import { renderJunit } from '../report/junit-xml.ts';
import { TapFileError, parseTapRun, renderMarkdown, renderText, summarise, summaryPassed, toJunit, type TapProblem, type TapRun } from '../report/merge.ts';
import { UnreadableFileError, readRegularFile } from '../util/read-regular-file.ts';

/** TAP of a long run with its diagnostics is a few hundred KB at most; this leaves ample room. */
const MAX_TAP_BYTES = 64 * 1024 * 1024;

export interface ReportOptions {
  markdown: boolean;
  junit: string | undefined;
}

export async function report(files: string[], options: ReportOptions, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const problems: TapProblem[] = [];
  const runs: TapRun[] = [];
  if (files.length === 0) problems.push({ file: '(none)', line: 0, message: 'name at least one TAP file' });
  for (const file of files) {
    try {
      runs.push(await parseTapRun(file, await readRegularFile(file, MAX_TAP_BYTES)));
    } catch (error) {
      if (error instanceof TapFileError) problems.push(...error.problems);
      else if (error instanceof UnreadableFileError) problems.push({ file, line: 0, message: error.message });
      else throw error;
    }
  }
  if (problems.length > 0) {
    const where = (p: TapProblem) => (p.line > 0 ? `${p.file}:${p.line}` : p.file);
    for (const p of problems) err(`vxlab report: ${where(p)}: ${p.message}\n`);
    if (options.markdown) {
      out(`## vxlab: ❌ ${problems.length} problem${problems.length === 1 ? '' : 's'} in the TAP files\n\n${problems.map((p) => `- \`${where(p)}\`: ${p.message.replace(/[<>]/g, '')}`).join('\n')}\n`);
    }
    if (options.junit) {
      const cases = problems.map((p) => ({ name: where(p), classname: 'vxlab.report', result: { status: 'error' as const, message: p.message, details: `${where(p)}: ${p.message}\n` } }));
      await writeFile(options.junit, renderJunit([{ name: 'TAP files', properties: {}, cases }]));
    }
    return 2;
  }
  const summary = summarise(runs);
  out(options.markdown ? renderMarkdown(summary) : renderText(summary));
  if (options.junit) await writeFile(options.junit, renderJunit(toJunit(summary)));
  return summaryPassed(summary) ? 0 : 1;
}
