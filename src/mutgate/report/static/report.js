// mutgate HTML report: filters on file pages, sorting and search on the summary page.
// The URL hash holds the state (#status=survived&operator=return.none, #sort=-survived),
// so a filtered or sorted view can be linked to and is applied when the page loads.
(function () {
  "use strict";

  function hashParams() {
    var raw = window.location.hash.replace(/^#/, "");
    return raw.indexOf("=") < 0 ? new URLSearchParams() : new URLSearchParams(raw);
  }

  function setHash(params) {
    var text = params.toString().replace(/%2C/gi, ",");
    history.replaceState(null, "", text ? "#" + text : window.location.pathname);
  }

  // ---- File page: filter mutants by status and operator --------------------------------
  var filterBar = document.querySelector("[data-filters]");
  if (filterBar) {
    var groups = {};
    filterBar.querySelectorAll("[data-group]").forEach(function (group) {
      groups[group.dataset.group] = { element: group, active: new Set() };
    });
    var mutants = Array.prototype.slice.call(document.querySelectorAll(".mutant"));
    var rows = Array.prototype.slice.call(document.querySelectorAll(".mutants-row"));
    var showing = document.getElementById("showing");

    var applyFilters = function () {
      var shown = 0;
      mutants.forEach(function (m) {
        var ok = Object.keys(groups).every(function (name) {
          var active = groups[name].active;
          return active.size === 0 || active.has(m.dataset[name]);
        });
        m.classList.toggle("is-filtered", !ok);
        if (ok) { shown += 1; }
      });
      rows.forEach(function (row) {
        row.classList.toggle("is-filtered", !row.querySelector(".mutant:not(.is-filtered)"));
      });
      Object.keys(groups).forEach(function (name) {
        var active = groups[name].active;
        groups[name].element.querySelectorAll("button").forEach(function (b) {
          var on = b.dataset.value === "" ? active.size === 0 : active.has(b.dataset.value);
          b.setAttribute("aria-pressed", on ? "true" : "false");
        });
      });
      if (showing) { showing.textContent = shown + " of " + mutants.length + " mutants shown"; }
    };

    var readHash = function () {
      if (window.location.hash.indexOf("=") < 0 && window.location.hash.length > 1) {
        return;  // a link to a line (#L12) keeps the filters as they are
      }
      var params = hashParams();
      Object.keys(groups).forEach(function (name) {
        var value = params.get(name);
        groups[name].active = new Set(value ? value.split(",").filter(Boolean) : []);
      });
      applyFilters();
    };

    filterBar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-value]");
      if (!button) { return; }
      var name = button.closest("[data-group]").dataset.group;
      var active = groups[name].active;
      var value = button.dataset.value;
      if (value === "") { active.clear(); }
      else if (active.has(value)) { active.delete(value); }
      else { active.add(value); }
      var params = new URLSearchParams();
      Object.keys(groups).forEach(function (n) {
        if (groups[n].active.size) { params.set(n, Array.from(groups[n].active).join(",")); }
      });
      setHash(params);
      applyFilters();
    });
    window.addEventListener("hashchange", readHash);
    readHash();
  }

  // ---- File page: a click on a line number links to that line -------------------------
  document.querySelectorAll("table.src").forEach(function (src) {
    src.addEventListener("click", function (event) {
      var cell = event.target.closest("td.num");
      if (cell && cell.parentElement.id) { window.location.hash = cell.parentElement.id; }
    });
  });

  // ---- Summary page: sortable file table and path search ----------------------------
  var table = document.querySelector("table[data-sortable]");
  if (table) {
    var body = table.tBodies[0];
    var headers = Array.prototype.slice.call(table.querySelectorAll("th[data-sort]"));

    var sortBy = function (key, descending) {
      var header = headers.filter(function (h) { return h.dataset.sort === key; })[0];
      if (!header) { return; }
      var numeric = header.dataset.type === "num";
      var items = Array.prototype.slice.call(body.rows);
      items.sort(function (a, b) {
        var x = a.dataset[key], y = b.dataset[key], order;
        if (numeric) { order = parseFloat(x) - parseFloat(y); }
        else { order = x < y ? -1 : x > y ? 1 : 0; }
        if (order === 0) { order = a.dataset.path < b.dataset.path ? -1 : 1; return order; }
        return descending ? -order : order;
      });
      items.forEach(function (row) { body.appendChild(row); });
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    };

    headers.forEach(function (header) {
      header.tabIndex = 0;
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); header.click(); }
      });
      header.addEventListener("click", function () {
        var key = header.dataset.sort;
        var descending = header.getAttribute("aria-sort") === "ascending";
        if (!header.hasAttribute("aria-sort") && header.dataset.type === "num" && key !== "score") {
          descending = true;
        }
        sortBy(key, descending);
        var params = hashParams();
        params.set("sort", (descending ? "-" : "") + key);
        setHash(params);
      });
    });

    var sortFromHash = function () {
      var sort = hashParams().get("sort");
      if (sort) { sortBy(sort.replace(/^-/, ""), sort.charAt(0) === "-"); }
    };
    window.addEventListener("hashchange", sortFromHash);
    sortFromHash();

    var search = document.getElementById("file-search");
    if (search) {
      search.addEventListener("input", function () {
        var needle = search.value.toLowerCase();
        Array.prototype.slice.call(body.rows).forEach(function (row) {
          row.classList.toggle("is-hidden", row.dataset.path.toLowerCase().indexOf(needle) < 0);
        });
      });
    }
  }
})();
