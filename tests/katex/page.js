// node page.js NODE_MODULES_DIR IN.md OUT.html
// A plain Markdown page as people paste one: markdown-it (CommonMark) turns the Markdown into HTML,
// and KaTeX's auto-render typesets every $…$ and $$…$$ in the browser, as a blog or a wiki does.
// Everything is inlined (KaTeX's CSS, fonts by file URL, its scripts): the page needs no network.
"use strict";
const fs = require("fs");
const path = require("path");
const [modules, input, output] = process.argv.slice(2);
const markdownIt = require(path.join(modules, "markdown-it"))({ html: true });
const dist = path.join(modules, "katex", "dist");
const read = (name) => fs.readFileSync(path.join(dist, name), "utf8");
const css = read("katex.min.css").replace(/url\(fonts\//g, "url(file://" + dist + "/fonts/");
const body = markdownIt.render(fs.readFileSync(input, "utf8"));
const page = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>symconv</title>
<style>${css} body { max-width: 60em; margin: 1em; font: 16px serif; background: white; }</style>
<script>${read("katex.min.js")}</script>
<script>${read("contrib/auto-render.min.js")}</script>
</head><body>
${body}
<script>
renderMathInElement(document.body, {
  delimiters: [{ left: "$$", right: "$$", display: true }, { left: "$", right: "$", display: false }],
  throwOnError: false,
});
document.body.setAttribute("data-rendered", "yes");
</script>
</body></html>
`;
fs.writeFileSync(output, page);
