// Builds the GOV.UK Design System assets into static/govuk/ and Chart.js into static/chartjs/ (run by
// `npm run build`, from `make frontend`).
//
// No bundler: one Sass compile (to leave out GDS Transport, which services not on GOV.UK must not use),
// a copy of the package's ready-made JavaScript module and images, and a copy of Chart.js's ready-made
// ES module build (served by the product itself: no CDN).
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const out = join(root, "static", "govuk");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const { css } = sass.compile(join(root, "frontend", "govuk.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
writeFileSync(join(out, "govuk-frontend.min.css"), css);

for (const file of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  cpSync(join(dist, file), join(out, file));
}
// The only image the styles point at; the GOV.UK favicons and icons carry the crown, so they are left out.
cpSync(join(dist, "assets", "images", "govuk-crest.svg"), join(out, "assets", "images", "govuk-crest.svg"));
console.log(`GOV.UK Frontend assets written to ${out}`);

// Chart.js's ES module build imports its one dependency (@kurkle/color) by bare name, which a browser
// cannot resolve without an import map (an inline script a Content Security Policy would forbid), so the
// UMD build is copied: one file, loaded by static/dashboard/charts.js, that sets `window.Chart`.
const charts = join(root, "static", "chartjs");
rmSync(charts, { recursive: true, force: true });
mkdirSync(charts, { recursive: true });
cpSync(join(root, "node_modules", "chart.js", "dist", "chart.umd.min.js"), join(charts, "chart.umd.min.js"));
cpSync(join(root, "node_modules", "chart.js", "LICENSE.md"), join(charts, "LICENSE.md"));
console.log(`Chart.js written to ${charts}`);
