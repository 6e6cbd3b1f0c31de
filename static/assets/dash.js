// Keyboard triage for the dashboard inbox: j/k move the selection, Enter
// opens the selected report, s focuses its status menu. Everything also
// works without this script.
(function () {
  "use strict";
  // On a phone the filters and counts start folded, so the list shows first.
  if (window.matchMedia && window.matchMedia("(max-width: 59.99rem)").matches) {
    var boxes = document.querySelectorAll("details.fbox, details.facets");
    for (var b = 0; b < boxes.length; b++) boxes[b].removeAttribute("open");
  }
  // The counts box loads after the list (they cost more than the list).
  var box = document.getElementById("counts");
  if (box && box.dataset.src && !box.querySelector("ul.facet") && window.fetch) {
    fetch(box.dataset.src, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html) box.innerHTML = html;
    }).catch(function () { /* the link in the box still works */ });
  }
  var rows = document.getElementById("rows");
  if (!rows) return;
  var items = rows.querySelectorAll("li.row");
  var at = -1;
  function select(i) {
    if (!items.length) return;
    i = Math.max(0, Math.min(items.length - 1, i));
    if (at >= 0) items[at].classList.remove("sel");
    at = i;
    items[at].classList.add("sel");
    var link = items[at].querySelector("a.open");
    if (link) link.focus({ preventScroll: true });
    items[at].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (e.key === "j") { select(at + 1); e.preventDefault(); }
    else if (e.key === "k") { select(at - 1); e.preventDefault(); }
    else if (e.key === "Enter" && at >= 0 && t === document.body) {
      var link = items[at].querySelector("a.open");
      if (link) { link.click(); e.preventDefault(); }
    } else if (e.key === "s" && at >= 0) {
      var sel = items[at].querySelector("select");
      if (sel) { sel.focus(); e.preventDefault(); }
    }
  });
})();
