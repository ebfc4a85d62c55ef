// The one way an argv becomes shell text: for a remote POSIX shell (ssh sends a string, not an
// argv) and for the netns backend's launcher scripts (holder.ts, launch.ts):
// each word in single quotes, a quote inside written as '\'' — nothing is ever interpreted.

/** One word, quoted for sh; the empty word stays a word (''). */
export function shellWord(word: string): string {
  if (word.includes('\0')) throw new Error('a command word cannot hold a NUL byte');
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one line of sh that runs exactly that argv. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('an empty command cannot be quoted');
  return argv.map(shellWord).join(' ');
}
