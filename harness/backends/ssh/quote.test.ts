import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellWord } from './quote.ts';

/** What a real sh makes of the quoted line: the words printf receives, NUL-separated. */
function wordsAfterSh(argv: readonly string[]): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellCommand(argv)}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const HOSTILE = [
  '', ' ', "'", "''", '"', '\\', '\\\'', '$(touch /tmp/vxlab-pwned)', '`id`', '$HOME', '${IFS}', ';rm -rf /',
  '&& echo hi', '| cat', '>out', '<in', '*', '?', '[a]', '~', '~root', '#comment', '\n', 'a\nb', '\t', '!',
  '-n', '--', "it's", 'a b  c', '%s', 'é漢字', '\x01\x7f', "'; echo owned; '",
];

describe('shellCommand', () => {
  it('passes hostile words through a real sh unchanged', () => {
    expect(wordsAfterSh(HOSTILE)).toEqual(HOSTILE);
  });

  it('passes any word without NUL through a real sh unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', '')), { minLength: 1, maxLength: 6 }), (words) => {
        expect(wordsAfterSh(words)).toEqual(words);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses what sh cannot carry', () => {
    expect(() => shellWord('a\0b')).toThrow(/NUL/);
    expect(() => shellCommand([])).toThrow(/empty/);
  });
});
