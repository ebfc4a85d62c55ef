// Splits a tutorial command line into an argument vector, the way a reader of the tutorial
// would, and refuses anything that only a shell could give meaning to. Commands never run
// through a shell, so `;`, `&&`, `$(...)` or a redirection would silently mean something else.

export interface Token {
  value: string;
  /** Offset of the token's first character in the command text. */
  start: number;
}

export class CommandSyntaxError extends Error {
  override readonly name = 'CommandSyntaxError';
  constructor(
    message: string,
    /** Offset in the command text of the character at fault. */
    readonly index: number,
  ) {
    super(message);
  }
}

const SHELL_ONLY: Record<string, string> = {
  ';': 'a command separator',
  '&': 'a background or `&&` operator',
  '|': 'a pipe or `||` operator',
  '<': 'a redirection',
  '>': 'a redirection',
  '(': 'a subshell',
  ')': 'a subshell',
  '$': 'a variable or command substitution',
  '`': 'a command substitution',
  '*': 'a glob',
  '?': 'a glob',
};

function refuse(char: string, index: number): never {
  throw new CommandSyntaxError(
    `has \`${char}\` (${SHELL_ONLY[char]}): commands run as argument vectors without a shell; write one command per entry and quote literal text`,
    index,
  );
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current: string | undefined;
  let start = 0;
  const push = () => {
    if (current !== undefined) tokens.push({ value: current, start });
    current = undefined;
  };
  const begin = (i: number) => {
    if (current === undefined) {
      current = '';
      start = i;
    }
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      push();
    } else if (c === '\\') {
      const next = text[i + 1];
      // A backslash before a newline continues the line, as in the tutorials' multi-line commands.
      if (next === '\n' || next === '\r') {
        push();
        i += next === '\r' && text[i + 2] === '\n' ? 2 : 1;
      } else if (next === undefined) {
        throw new CommandSyntaxError('ends with a lone backslash', i);
      } else {
        begin(i);
        current += next;
        i++;
      }
    } else if (c === "'") {
      begin(i);
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new CommandSyntaxError('has an unterminated single quote', i);
      current += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      begin(i);
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === '$' || d === '`') refuse(d, j);
        if (d === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        current = `${current ?? ""}${text[j]!}`;
      }
      if (j >= text.length) throw new CommandSyntaxError('has an unterminated double quote', i);
      i = j;
    } else if (c === '#' && current === undefined) {
      throw new CommandSyntaxError('has `#`, which a shell reads as a comment: quote it if it is meant literally', i);
    } else if (c in SHELL_ONLY) {
      refuse(c, i);
    } else {
      begin(i);
      current += c;
    }
  }
  push();
  if (tokens.length === 0) throw new CommandSyntaxError('is empty', 0);
  return tokens;
}

/** Renders an argument vector back to one line a person can paste into a shell. */
export function renderArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
