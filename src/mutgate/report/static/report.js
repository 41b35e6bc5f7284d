// mutgate HTML report.
// File pages: filters by status and operator (each group's counts follow the other's), the
// survivors-only view (status filter "survived": the source folds to the lines around the
// survivors), next/previous survivor (keys n and p, or the buttons), and the details of a
// mutant drawn from the page's JSON when it is opened. Summary page: the file table sorted,
// searched and folded by folder. Tests page: the rest of a test's survivors, and a search.
// The URL hash holds the state (#status=survived&operator=return.none, #sort=-survived),
// so a filtered or sorted view can be linked to and is applied when the page loads.
(function () {
  "use strict";

  var slice = function (list) { return Array.prototype.slice.call(list); };
  var dataNode = document.getElementById("mutgate-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : {};

  function hashParams() {
    var raw = window.location.hash.replace(/^#/, "");
    return raw.indexOf("=") < 0 ? new URLSearchParams() : new URLSearchParams(raw);
  }

  function setHash(params) {
    var text = params.toString().replace(/%2C/gi, ",");
    history.replaceState(null, "", text ? "#" + text : window.location.pathname);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  // ---- File page -----------------------------------------------------------------------
  var filterBar = document.querySelector("[data-filters]");
  if (filterBar) {
    var tests = data.tests || [];
    var byId = {};
    (data.mutants || []).forEach(function (m) { byId[m.id] = m; });
    var cards = slice(document.querySelectorAll("details.mutant"));
    var mutantRows = slice(document.querySelectorAll(".mutants-row"));
    var showing = document.getElementById("showing");
    var groups = {};
    filterBar.querySelectorAll("[data-group]").forEach(function (group) {
      groups[group.dataset.group] = { element: group, active: new Set() };
    });

    // A mutant's details, drawn once, when it is first opened.
    var KINDS = { "@": "hunk", "-": "del", "+": "add" };
    var testList = function (indices) {
      if (indices.length === 1) { return el("code", "test", tests[indices[0]]); }
      var list = el("ul", "tests");
      indices.forEach(function (i) { list.appendChild(el("li")).appendChild(el("code", "test", tests[i])); });
      return list;
    };
    var renderBody = function (card) {
      var m = byId[card.id.slice(2)];
      if (!m || card.querySelector(".mutant-body")) { return; }
      var status = card.dataset.status;
      var body = el("div", "mutant-body");
      if (m.diff && m.diff.length) {
        var pre = body.appendChild(el("pre", "diff"));
        m.diff.forEach(function (row) { pre.appendChild(el("span", KINDS[row.charAt(0)] || "ctx", row)); });
      }
      var facts = body.appendChild(el("dl", "facts"));
      var fact = function (label, value) {
        var item = facts.appendChild(el("div"));
        item.appendChild(el("dt", null, label));
        var dd = item.appendChild(el("dd"));
        if (typeof value === "string") { dd.textContent = value; } else { dd.appendChild(value); }
      };
      var where = el("span", null, "line " + m.line + ", column " + m.col);
      if (m.qualname) { where.append(" in ", el("code", null, m.qualname)); }
      fact("Location", where);
      if (m.killers) { fact(status === "timeout" ? "Timed out in" : "Killed by", testList(m.killers)); }
      if (m.detail) { fact("Why", m.detail); }
      if (status === "survived") {
        fact("Confirmed", m.confirmed ? "yes: every other test of its module passed too"
          : "no: only the tests that ran its lines were run");
        if (m.all_ran) { fact("Tests run", "every covering test ran, and none failed"); }
      }
      fact("Covered by", m.covered_by.length ? testList(m.covered_by) : el("span", "muted", "no test"));
      if (m.ms !== undefined) {
        fact("Time", m.ms.toFixed(1) + " ms" + (m.tests_run !== undefined ? ", " + plural(m.tests_run, "test") + " run" : ""));
      }
      fact("Id", el("code", null, m.id));
      card.appendChild(body);
    };
    document.addEventListener("toggle", function (event) {
      var card = event.target;
      if (card.open && card.classList && card.classList.contains("mutant")) { renderBody(card); }
    }, true);
    cards.forEach(function (card) { if (card.open) { renderBody(card); } });

    // Filters, and counts that follow them.
    var passes = function (card, except) {
      return Object.keys(groups).every(function (name) {
        var active = groups[name].active;
        return name === except || active.size === 0 || active.has(card.dataset[name]);
      });
    };
    var applyFilters = function () {
      var shown = 0;
      cards.forEach(function (card) {
        var ok = passes(card);
        card.classList.toggle("is-filtered", !ok);
        if (ok) { shown += 1; }
      });
      mutantRows.forEach(function (row) {
        row.classList.toggle("is-filtered", !row.querySelector(".mutant:not(.is-filtered)"));
      });
      Object.keys(groups).forEach(function (name) {
        var active = groups[name].active;
        var counts = {}, all = 0;
        cards.forEach(function (card) {
          if (!passes(card, name)) { return; }
          counts[card.dataset[name]] = (counts[card.dataset[name]] || 0) + 1;
          all += 1;
        });
        groups[name].element.querySelectorAll("button").forEach(function (b) {
          var value = b.dataset.value;
          var on = value === "" ? active.size === 0 : active.has(value);
          var n = value === "" ? all : counts[value] || 0;
          b.setAttribute("aria-pressed", on ? "true" : "false");
          b.classList.toggle("zero", n === 0);
          var count = b.querySelector(".n");
          if (count) { count.textContent = n; }
        });
      });
      var status = groups.status ? groups.status.active : new Set();
      document.body.classList.toggle("survivors-view", status.size === 1 && status.has("survived"));
      if (showing) { showing.textContent = shown + " of " + plural(cards.length, "mutant") + " shown"; }
      updatePosition();
    };

    // The survivors-only view: folds, and unfolding the one that hides a line.
    // A fold's lines may go on into the next chunk's table: walk the rows of all of them.
    var src = document.querySelector(".src-card");
    var allRows = slice(document.querySelectorAll(".src tr"));
    var unfoldFrom = function (fold) {
      fold.classList.add("unfolded");
      for (var i = allRows.indexOf(fold) + 1; i < allRows.length && allRows[i].classList.contains("f"); i++) {
        allRows[i].classList.add("unfolded");
      }
    };
    var reveal = function (row) {
      if (!row || !row.classList.contains("f")) { return; }
      for (var i = allRows.indexOf(row); i >= 0; i--) {
        if (allRows[i].classList.contains("fold")) { unfoldFrom(allRows[i]); return; }
      }
    };
    if (src) {
      src.addEventListener("click", function (event) {
        var fold = event.target.closest("tr.fold");
        if (fold) { unfoldFrom(fold); return; }
        var cell = event.target.closest("td:first-child");
        var row = cell && cell.parentElement;
        if (row && /^L\d+$/.test(row.id) && !row.classList.contains("mutants-row")) {
          window.location.hash = row.id;
        }
      });
    }

    // Next and previous survivor.
    var position = document.getElementById("survivor-pos");
    var survivorCards = function () {
      return cards.filter(function (c) { return c.dataset.status === "survived" && !c.classList.contains("is-filtered"); });
    };
    var lineRow = function (card) {
      var holder = card.closest(".mutants-row");
      return holder ? document.getElementById("L" + holder.dataset.line) : null;
    };
    var currentCard = function () { return document.querySelector("details.mutant.is-current"); };
    function updatePosition() {
      if (!position) { return; }
      var list = survivorCards();
      var at = list.indexOf(currentCard());
      position.textContent = at < 0 ? plural(list.length, "survivor") : "survivor " + (at + 1) + " of " + list.length;
    }
    var select = function (card, scroll) {
      document.querySelectorAll(".is-current").forEach(function (e) { e.classList.remove("is-current"); });
      var row = lineRow(card);
      reveal(row);
      reveal(card.closest(".mutants-row"));
      card.classList.add("is-current");
      if (!card.open) { card.open = true; }
      renderBody(card);
      if (row) {
        row.classList.add("is-current");
        if (scroll) { row.scrollIntoView({ block: "center" }); }
      }
      updatePosition();
    };
    var step = function (delta) {
      var list = survivorCards();
      if (!list.length) { return; }
      var at = list.indexOf(currentCard());
      var index;
      if (at >= 0) {
        index = Math.max(0, Math.min(list.length - 1, at + delta));
      } else {  // nothing chosen yet: the first one below the filter bar, or the last above it
        var top = filterBar.getBoundingClientRect().bottom + 1;
        var tops = list.map(function (c) { var r = lineRow(c) || c; return r.getBoundingClientRect().top; });
        index = delta > 0 ? tops.findIndex(function (t) { return t >= top; }) : -1;
        if (delta < 0) { tops.forEach(function (t, i) { if (t < top) { index = i; } }); }
        if (index < 0) { index = delta > 0 ? list.length - 1 : 0; }
      }
      select(list[index], true);
    };
    var nav = document.querySelector("[data-survivor-nav]");
    if (nav) {
      nav.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-step]");
        if (button) { step(parseInt(button.dataset.step, 10)); }
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
      if (event.key === "n") { step(1); } else if (event.key === "p") { step(-1); }
    });

    // A link to a line (#L12) or a mutant (#m-<id>) keeps the filters and shows its target.
    var wanted = null;
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-mutant]");
      if (link) { wanted = link.dataset.mutant; }
    });
    var showTarget = function (hash) {
      var target = document.getElementById(hash.slice(1));
      if (!target) { return; }
      var card = null;
      if (target.classList.contains("mutant")) {
        card = target;
      } else if (target.classList.contains("has-mutants")) {
        var holder = target.nextElementSibling;
        var here = slice(holder.querySelectorAll("details.mutant[data-status=survived]"));
        card = here.filter(function (c) { return c.id === "m-" + wanted; })[0] || here[0] || null;
      }
      wanted = null;
      reveal(target);
      if (card) { select(card, true); } else { target.scrollIntoView({ block: "center" }); }
    };

    var readHash = function () {
      var hash = window.location.hash;
      if (hash.indexOf("=") < 0 && hash.length > 1) { showTarget(hash); return; }
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
    applyFilters();
    readHash();
    // The browser scrolls to a link's target itself while the page loads: show it again
    // after that, below the filter bar, with its survivor chosen.
    window.addEventListener("load", function () {
      var hash = window.location.hash;
      if (hash.length > 1 && hash.indexOf("=") < 0) { setTimeout(function () { showTarget(hash); }, 0); }
    });
  }

  // ---- Summary page: the file table, sorted, searched, folded by folder ------------------
  var table = document.querySelector("table[data-sortable]");
  if (table) {
    var folders = slice(table.tBodies);
    var headers = slice(table.querySelectorAll("th[data-sort]"));
    var order = function (key, numeric, descending) {
      return function (a, b) {
        var x = a.dataset[key], y = b.dataset[key], by;
        if (numeric) { by = parseFloat(x) - parseFloat(y); } else { by = x < y ? -1 : x > y ? 1 : 0; }
        if (by === 0) { return a.dataset.path < b.dataset.path ? -1 : 1; }
        return descending ? -by : by;
      };
    };

    var sortBy = function (key, descending) {
      var header = headers.filter(function (h) { return h.dataset.sort === key; })[0];
      if (!header) { return; }
      var compare = order(key, header.dataset.type === "num", descending);
      folders.sort(compare).forEach(function (folder) {
        slice(folder.querySelectorAll("tr.file-row")).sort(compare).forEach(function (row) {
          folder.appendChild(row);
        });
        table.appendChild(folder);
      });
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

    table.addEventListener("click", function (event) {
      var toggle = event.target.closest(".folder-toggle");
      if (!toggle) { return; }
      var folded = toggle.closest("tbody").classList.toggle("collapsed");
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    });

    var sortFromHash = function () {
      var sort = hashParams().get("sort");
      if (sort) { sortBy(sort.replace(/^-/, ""), sort.charAt(0) === "-"); }
    };
    window.addEventListener("hashchange", sortFromHash);
    sortFromHash();

    var search = document.getElementById("file-search");
    var shownText = document.getElementById("files-shown");
    var allText = shownText ? shownText.textContent : "";
    if (search) {
      search.addEventListener("input", function () {
        var needle = search.value.toLowerCase();
        var shown = 0, total = 0, survived = 0;
        folders.forEach(function (folder) {
          var any = false;
          folder.querySelectorAll("tr.file-row").forEach(function (row) {
            var hit = row.dataset.path.toLowerCase().indexOf(needle) >= 0;
            row.classList.toggle("is-hidden", !hit);
            total += 1;
            if (hit) { shown += 1; any = true; survived += parseInt(row.dataset.survived, 10); }
          });
          folder.classList.toggle("is-hidden", !any);
        });
        if (shownText) {
          shownText.textContent = needle ? shown + " of " + plural(total, "file") + ", " + survived + " survived" : allText;
        }
      });
    }
  }

  // ---- Tests page: the rest of a test's survivors, and a search -----------------------------
  var ranking = document.getElementById("ranking");
  if (ranking) {
    ranking.addEventListener("click", function (event) {
      var button = event.target.closest("button.more");
      if (!button) { return; }
      var list = button.parentElement.querySelector(".survivor-list");
      (data.more[button.dataset.rank] || []).forEach(function (index) {
        var s = data.survivors[index];
        var item = list.appendChild(el("li"));
        var link = item.appendChild(el("a", null, s.where));
        link.href = s.href;
        item.append(" ", el("span", "op", s.operator), " ");
        var change = item.appendChild(el("code", "change"));
        change.append(el("del", null, s.original), " → ", el("ins", null, s.replacement));
        if (!s.confirmed) { item.append(" ", el("span", "by", "not confirmed")); }
      });
      button.remove();
    });
    var testSearch = document.getElementById("test-search");
    if (testSearch) {
      testSearch.addEventListener("input", function () {
        var needle = testSearch.value.toLowerCase();
        slice(ranking.children).forEach(function (item) {
          item.classList.toggle("is-hidden", item.dataset.test.toLowerCase().indexOf(needle) < 0);
        });
      });
    }
  }
})();
