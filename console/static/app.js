// Otklik console: countdowns, reply length counters, keyboard shortcuts. No inline scripts (CSP).
(function () {
  "use strict";

  function fmt(seconds) {
    var late = seconds < 0;
    seconds = Math.abs(seconds);
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    var parts = [];
    if (d) parts.push(d + " д");
    if (h || d) parts.push(h + " ч");
    parts.push(m + " мин");
    return (late ? "просрочено на " : "осталось ") + parts.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (!isNaN(due)) {
        var s = Math.round((due - now) / 1000);
        el.textContent = fmt(s);
        el.classList.toggle("late", s < 0);
        el.classList.toggle("soon", s >= 0 && s < 1800);
      }
    });
  }

  function counters() {
    document.querySelectorAll("textarea[data-max]").forEach(function (ta) {
      var counter = ta.closest("form") && ta.closest("form").querySelector(".counter");
      var max = parseInt(ta.getAttribute("data-max"), 10);
      if (!counter || !max) return;
      var update = function () {
        var n = ta.value.length;
        counter.textContent = n + " / " + max + " символов" + (n > max ? " — превышен предел сети" : "");
        counter.classList.toggle("over", n > max);
      };
      ta.addEventListener("input", update);
      update();
    });
  }

  var selected = -1;
  function items() { return Array.prototype.slice.call(document.querySelectorAll("article.item")); }
  function select(i) {
    var list = items();
    if (!list.length) return;
    selected = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (el, n) { el.classList.toggle("selected", n === selected); });
    list[selected].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    var list = items();
    if (e.key === "j") { select(selected + 1); e.preventDefault(); }
    else if (e.key === "k") { select(selected - 1); e.preventDefault(); }
    else if (selected >= 0 && list[selected]) {
      var item = list[selected];
      if (e.key === "a") { var b = item.querySelector('[data-key="a"]'); if (b) { b.click(); e.preventDefault(); } }
      else if (e.key === "x") { var r = item.querySelector('form.exclude input[name="reason"]'); if (r) { r.focus(); e.preventDefault(); } }
      else if (e.key === "o") { var l = item.querySelector("a.case-link"); if (l) { l.click(); e.preventDefault(); } }
    }
  });

  // Live queue: skip a poll while the curator is typing in it, so nothing typed is lost.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var target = e.detail && e.detail.elt;
    if (target && target.id === "queue-rows" && target.contains(document.activeElement) &&
        document.activeElement !== document.body) {
      e.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSwap", function () { tick(); counters(); if (selected >= 0) select(selected); });

  document.addEventListener("DOMContentLoaded", function () { tick(); counters(); setInterval(tick, 30000); });
})();
