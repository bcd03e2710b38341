// Render many math blocks with KaTeX in one node process (used by tests/doctools.py).
//
// stdin:  JSON list of {"tex": "...", "display": true|false}
// stdout: JSON {"version": KaTeX version, "results": [{"ok": bool, "error": message|null,
//         "warnings": [strict-mode warnings]}]}, one result per block, in order.
// KaTeX is loaded from $SYMCONV_KATEX_DIR/node_modules/katex (installed by .ci/run with
// `npm install --prefix "$SYMCONV_KATEX_DIR" katex@…`), so the repository needs no package.json.
'use strict';

const path = require('path');

const dir = process.env.SYMCONV_KATEX_DIR;
if (!dir) {
  process.stderr.write('SYMCONV_KATEX_DIR is not set\n');
  process.exit(2);
}
const katex = require(path.join(dir, 'node_modules', 'katex'));

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const blocks = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = blocks.map(({ tex, display }) => {
    const warnings = [];
    try {
      katex.renderToString(tex, {
        displayMode: Boolean(display),
        throwOnError: true,
        // Non-fatal "LaTeX-incompatible input" notices: collected, so the tests can show them.
        strict: (code, message) => {
          warnings.push(`${code}: ${message}`);
          return 'ignore';
        },
      });
      return { ok: true, error: null, warnings };
    } catch (error) {
      return { ok: false, error: String(error && error.message ? error.message : error), warnings };
    }
  });
  process.stdout.write(JSON.stringify({ version: katex.version, results }));
});
