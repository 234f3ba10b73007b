// Starts GOV.UK Frontend's components (skip link, header menu, error summary, radios...). A module file of
// its own, not an inline script, so that a Content Security Policy can forbid inline scripts.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
