// How iproute2 reads a word against its tables: `matches()` prefix semantics in table order,
// leading options with `--x` read as `-x`, and `-c`/`-color[=WHEN]`. Pure.
// Followed: iproute2 v6.1.0 lib/utils.c:871-881 (matches), lib/color.c:96-120 (matches_color).

/** iproute2's `matches(prefix, string) == 0`: a non-empty prefix of `full`. */
export function matches(word: string, full: string): boolean {
  return word.length > 0 && full.startsWith(word);
}

/** iproute2's `matches_color()`: `-c`, `-col`, `-color=auto`...; a bad WHEN is no match at all. */
export function matchesColor(option: string): boolean {
  const eq = option.indexOf('=');
  const name = eq < 0 ? option : option.slice(0, eq);
  const when = eq < 0 ? '' : option.slice(eq + 1);
  return matches(name, '-color') && ['', 'always', 'auto', 'never'].includes(when);
}

export interface Entry<T> {
  /** The spelling the program compares with. */
  name: string;
  /** strcmp (exact) or matches (prefix); `color` is matches_color. */
  how: 'prefix' | 'exact' | 'color';
  meaning: T;
}

/** The first entry the word selects, in the program's own order, as its if/else chain does. */
export function resolve<T>(word: string, table: readonly Entry<T>[]): Entry<T> | undefined {
  return table.find((e) => (e.how === 'exact' ? word === e.name : e.how === 'color' ? matchesColor(word) : matches(word, e.name)));
}

/** Table rows: `name` is prefix-matched, `=name` compared exactly. */
export function table<T>(rows: readonly (readonly [string, T])[]): Entry<T>[] {
  return rows.map(([name, meaning]) =>
    name === '-color' ? { name, how: 'color', meaning } : name.startsWith('=') ? { name: name.slice(1), how: 'exact', meaning } : { name, how: 'prefix', meaning },
  );
}
