// A running export's page asks its progress endpoint every few seconds and updates the status text, which is
// a polite live region: screen readers announce the change when they have finished what they are saying.
(function () {
  var region = document.getElementById("export-progress");
  if (!region || region.hasAttribute("data-finished")) return;
  var status = document.getElementById("export-status");
  var tag = document.getElementById("export-status-tag");
  var download = document.getElementById("export-download");
  var colours = { queued: "grey", running: "blue", done: "green", failed: "red" };
  function poll() {
    fetch(region.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (progress) {
        if (status.textContent !== progress.message) status.textContent = progress.message;
        tag.textContent = progress.status_label;
        tag.className = "govuk-tag govuk-tag--" + (colours[progress.status] || "grey");
        if (progress.finished) {
          if (progress.download) download.hidden = false;
          return;
        }
        window.setTimeout(poll, 3000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
