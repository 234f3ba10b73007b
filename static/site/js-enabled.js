// Before the page is drawn: tell GOV.UK Frontend's styles that JavaScript runs, and whether the browser
// supports its components (ES modules), as its page template's inline snippet does. A file of its own, so
// that a Content Security Policy can forbid inline scripts.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
