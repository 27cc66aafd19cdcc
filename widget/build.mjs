// Bundles browser code into chatserver/web/static/ (git-ignored; built by scripts/setup,
// never committed). Usage: node build.mjs console|widget|size ...
//
//   console  socket.io-client as an ES module for the agent console (static/vendor/)
//   widget   the embeddable chat widget, one minified IIFE (static/widget/widget.js),
//            and its stylesheet (static/widget/widget.css, for browsers without
//            constructable stylesheets)
//   size     prints the widget bundle's raw and gzipped size against the budget
import { build, transform } from "esbuild";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { gzipSync } from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const statics = path.join(here, "..", "chatserver", "web", "static");
const widgetDir = path.join(statics, "widget");
const widgetJs = path.join(widgetDir, "widget.js");
// Budget from the embedding requirements; tests/test_widget_bundle.py checks it too.
const BUDGET_GZIP_BYTES = 45 * 1024;

async function minifiedCss(file) {
  const source = await readFile(file, "utf8");
  return (await transform(source, { loader: "css", minify: true })).code;
}

// `import css from "./widget.css"` gives the minified stylesheet as a string, which the
// widget adopts into its shadow root (a constructed sheet: no inline <style> for CSP).
const cssAsText = {
  name: "css-as-text",
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => ({
      contents: `export default ${JSON.stringify(await minifiedCss(args.path))};`,
      loader: "js",
    }));
  },
};

async function size() {
  const body = await readFile(widgetJs);
  const gzipped = gzipSync(body, { level: 9 }).length;
  const kb = (n) => (n / 1024).toFixed(1) + " KB";
  const verdict = gzipped <= BUDGET_GZIP_BYTES ? "within" : "OVER";
  console.log(
    `widget.js: ${kb(body.length)} minified, ${kb(gzipped)} gzipped (${verdict} the ${kb(BUDGET_GZIP_BYTES)} budget)`,
  );
  if (gzipped > BUDGET_GZIP_BYTES) process.exitCode = 1;
}

const targets = {
  // socket.io-client 4.x (~45 KB minified) as an ES module exporting `io`.
  console: () =>
    build({
      entryPoints: [path.join(here, "src", "console-entry.js")],
      outfile: path.join(statics, "vendor", "socket.io.min.js"),
      bundle: true,
      format: "esm",
      minify: true,
      // Browsers the console supports: anything with ES modules, dialog and :focus-visible.
      target: ["es2020"],
      legalComments: "linked",
      logLevel: "warning",
    }),
  widget: async () => {
    await build({
      entryPoints: [path.join(here, "src", "widget", "index.js")],
      outfile: widgetJs,
      bundle: true,
      // One function scope: the only global the widget leaves is window.ChatWidget.
      format: "iife",
      platform: "browser",
      minify: true,
      // Shadow DOM, fetch, ES2020: every evergreen browser of the last years.
      target: ["es2020"],
      legalComments: "none",
      plugins: [cssAsText],
      logLevel: "warning",
    });
    await mkdir(widgetDir, { recursive: true });
    await writeFile(
      path.join(widgetDir, "widget.css"),
      await minifiedCss(path.join(here, "src", "widget", "widget.css")),
    );
    await size();
  },
  size,
};

const names = process.argv.slice(2);
if (names.length === 0 || names.some((name) => !(name in targets))) {
  console.error(`usage: node build.mjs ${Object.keys(targets).join("|")} ...`);
  process.exit(2);
}
for (const name of names) {
  await targets[name]();
}
