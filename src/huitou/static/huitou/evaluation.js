// The evaluation round's page: the collect stage's figures refresh every 30 s (invited,
// answered, response rate) from the API; the report's print button.
(function () {
  "use strict";

  function percent(share) {
    return share === null || share === undefined ? "—" : (share * 100).toFixed(1) + "%";
  }

  function refresh(box) {
    fetch(box.dataset.collectUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        box.querySelectorAll("[data-figure]").forEach(function (cell) {
          var name = cell.dataset.figure;
          cell.textContent = name === "rate" ? percent(data.rate) : String(data[name]);
        });
      })
      .catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("collect-figures");
    if (box && box.dataset.collectUrl) {
      window.setInterval(function () { refresh(box); }, 30000);
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
