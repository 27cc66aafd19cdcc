// Bundles browser code into chatserver/web/static/vendor/ (git-ignored; built by
// scripts/setup, never committed). Usage: node build.mjs console
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const vendor = path.join(here, "..", "chatserver", "web", "static", "vendor");

const targets = {
  // socket.io-client 4.x (~45 KB minified) as an ES module exporting `io`.
  console: {
    entryPoints: [path.join(here, "src", "console-entry.js")],
    outfile: path.join(vendor, "socket.io.min.js"),
  },
};

const names = process.argv.slice(2);
if (names.length === 0 || names.some((name) => !(name in targets))) {
  console.error(`usage: node build.mjs ${Object.keys(targets).join("|")}`);
  process.exit(2);
}
for (const name of names) {
  await build({
    ...targets[name],
    bundle: true,
    format: "esm",
    minify: true,
    // Browsers the console supports: anything with ES modules, dialog and :focus-visible.
    target: ["es2020"],
    legalComments: "linked",
    logLevel: "info",
  });
}
