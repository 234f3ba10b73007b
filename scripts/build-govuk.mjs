// Builds the GOV.UK Design System assets into static/govuk/ (run by `npm run build`, from `make frontend`).
//
// No bundler: one Sass compile (to leave out GDS Transport, which services not on GOV.UK must not use)
// and a copy of the package's ready-made JavaScript module and images.
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
