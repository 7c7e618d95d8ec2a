// Build the static viewer into dist/: copy src/, copy Chart.js from node_modules (pinned in
// package-lock.json) next to it, and write config.json. No bundler, no CDN: dist/ is
// self-contained and can be served by the local API or synced to S3 as is.
//
//   node build.mjs                      # apiBase "" = the API on the same origin
//   VIEWER_API_BASE=https://api.example.com node build.mjs
//   VIEWER_OUT=/tmp/viewer-dist node build.mjs   # build somewhere else (the browser tests do)

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, "src");
const dist = process.env.VIEWER_OUT ? resolve(process.env.VIEWER_OUT) : join(root, "dist");
const chart = join(root, "node_modules", "chart.js");

function fail(message) {
  console.error(`viewer build: ${message}`);
  process.exit(1);
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

if (!existsSync(join(chart, "dist", "chart.umd.min.js"))) {
  fail("node_modules/chart.js is missing: run `npm ci` in viewer/ (or `make viewer`).");
}

const apiBase = (process.env.VIEWER_API_BASE || "").replace(/\/+$/, "");
if (apiBase && !/^https?:\/\/[^\s/]+/.test(apiBase)) {
  fail(`VIEWER_API_BASE must be an http(s) origin, got ${JSON.stringify(apiBase)}`);
}

// Nothing may load from another origin at run time: refuse absolute URLs in src/ where the
// browser would fetch them (src=, href=, import ... from, url()).
const remote = /(?:src|href)\s*=\s*["']\s*(?:https?:)?\/\/|from\s+["'](?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\//i;
for (const path of files(src)) {
  if (remote.test(readFileSync(path, "utf8"))) fail(`${relative(root, path)} loads something from another origin`);
}

// A syntax error should stop the build, not surface later as a blank page in a browser.
for (const path of files(src).filter((p) => p.endsWith(".js"))) {
  const check = spawnSync(process.execPath, ["--check", path], { encoding: "utf8" });
  if (check.status !== 0) fail(`${relative(root, path)} does not parse:\n${check.stderr}`);
}

// dist/ is replaced wholesale, so never wipe a directory that is not a previous build.
if (existsSync(dist) && readdirSync(dist).length && !existsSync(join(dist, "index.html"))) {
  fail(`refusing to replace ${dist}: it is not empty and holds no previous build`);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "vendor"), { recursive: true });
cpSync(src, dist, { recursive: true });
cpSync(join(chart, "dist", "chart.umd.min.js"), join(dist, "vendor", "chart.umd.min.js"));
cpSync(join(chart, "LICENSE.md"), join(dist, "vendor", "chart.js-LICENSE.md"));
const version = JSON.parse(readFileSync(join(chart, "package.json"), "utf8")).version;
writeFileSync(join(dist, "config.json"), `${JSON.stringify({ apiBase }, null, 2)}\n`);

const count = files(dist).length;
console.log(
  `viewer build: ${count} files in ${dist} (chart.js ${version}, apiBase ${apiBase ? JSON.stringify(apiBase) : "same origin"})`,
);
