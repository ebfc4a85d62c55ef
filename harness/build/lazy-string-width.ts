// An esbuild plugin: yargs and its help layout (cliui, wrap-ansi) import string-width, whose module
// builds an Intl.Segmenter and Unicode-property regular expressions when it loads (~12 ms each of
// the two versions here, a quarter of the CLI's start), though only `--help` and usage errors
// measure text. Each import of it from a dependency becomes a stub that requires the very module
// it would have got (its own version) on the first call.
import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

const NAMESPACE = 'vxlab-lazy-string-width';

export const lazyStringWidth: Plugin = {
  name: 'lazy-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === NAMESPACE || !args.importer.includes('/node_modules/')) return undefined;
      const real = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: NAMESPACE });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
      // require() inside the function: esbuild initialises the required module on the first call.
      contents: `let real;\nexport default function stringWidth(text, options) {\n  real ??= require(${JSON.stringify(args.path)}).default;\n  return real(text, options);\n}\n`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};
