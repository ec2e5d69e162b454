// Builds the console into ../chalicelib/console_dist/ (gitignored; the Lambda package carries it):
// index.html, one script and one stylesheet with content-hashed names, and manifest.json, the only files
// the API serves (chalicelib/console.py). Run through `make console` (`make run`, `make test` and
// `make package` depend on it).
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'chalicelib', 'console_dist');

// both languages say everything: the same keys, and every literal t('key') in the sources is one of them.
// A plural form ("key.one") is a language's own: it needs only its base key in the other language.
const { MESSAGES } = await import('./src/messages.js');
const [english, japanese] = [Object.keys(MESSAGES.en), Object.keys(MESSAGES.ja)];
const base = (k) => k.replace(/\.(zero|one|two|few|many)$/, '');
const untranslated = english.filter((k) => !(base(k) in MESSAGES.ja));
const extra = japanese.filter((k) => !(base(k) in MESSAGES.en));
const sources = (await readdir(join(here, 'src'), { recursive: true })).filter((name) => name.endsWith('.js'));
const used = new Set();
for (const name of sources) {
  const text = await readFile(join(here, 'src', name), 'utf8');
  for (const match of text.matchAll(/\bt\('([^']+)'/g)) used.add(match[1]);
}
const missing = [...used].filter((k) => !(k in MESSAGES.en));
if (untranslated.length || extra.length || missing.length) {
  throw new Error(`messages: untranslated ${untranslated}; only in ja ${extra}; used but missing ${missing}`);
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src', 'main.js'), join(here, 'src', 'styles.css')],
  outdir: out,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

const built = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = built.find((name) => name.endsWith('.js'));
const styles = built.find((name) => name.endsWith('.css'));
const page = (await readFile(join(here, 'src', 'index.html'), 'utf8'))
  .replace('{{script}}', `./${script}`)
  .replace('{{styles}}', `./${styles}`);
if (page.includes('{{')) throw new Error('index.html has a placeholder the build does not fill');
await writeFile(join(out, 'index.html'), page);
await writeFile(join(out, 'manifest.json'), JSON.stringify({ files: ['index.html', ...built] }, null, 1));
console.log(`console built: ${['index.html', ...built].join(', ')}`);
