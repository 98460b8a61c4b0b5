// pvsignal explorer: name suggestions under the search box, filters applied on change.
// Text from the server is set with textContent only (never as HTML).
(function () {
  "use strict";
  var box = document.getElementById("q");
  var list = document.getElementById("suggestions");
  var timer = null;
  function show(items) {
    list.replaceChildren();
    items.forEach(function (it) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/drug?drug=" + encodeURIComponent(it.ingredient);
      a.textContent = it.name === it.ingredient ? it.name : it.name + " → " + it.ingredient;
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }
  if (box && list) {
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var q = box.value.trim();
      if (!q) { show([]); return; }
      timer = setTimeout(function () {
        fetch("/suggest?q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(show)
          .catch(function () { show([]); });
      }, 120);
    });
    box.addEventListener("keydown", function (e) { if (e.key === "Escape") { show([]); } });
  }
  // event page: each panel is computed on the server and inserted when ready (same-origin,
  // server-escaped HTML); without script the panel's link opens it as a page. The panels
  // read from the drug's own cases come first, together; those that scan the whole lake
  // (data-after) once they are in, so they do not compete for the same cores
  function load(sec) {
    return fetch(sec.getAttribute("data-panel"), { headers: { "X-Panel": "1" } })
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
      .then(function (res) {
        var tpl = document.createElement("template");
        tpl.innerHTML = res.text;
        sec.replaceChildren(tpl.content);
        sec.setAttribute("data-loaded", res.ok ? "ok" : "error");
      })
      .catch(function () { sec.setAttribute("data-loaded", "error"); });
  }
  var first = Array.prototype.map.call(document.querySelectorAll("section[data-panel]:not([data-after])"), load);
  Promise.all(first).then(function () {
    document.querySelectorAll("section[data-panel][data-after]").forEach(load);
  });
  var filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("change", function () { filters.submit(); });
  }
})();
