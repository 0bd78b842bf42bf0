// Keyboard shortcuts for the review page. Every action is also a link or a form button, so the
// page works without this file; with it, keep and reject happen without leaving the queue.
"use strict";

(function () {
  const items = () => Array.from(document.querySelectorAll(".item"));
  let current = -1;

  function select(index) {
    const list = items();
    if (!list.length) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((item, i) => item.classList.toggle("selected", i === current));
    list[current].scrollIntoView({ block: "nearest" });
  }

  function selected() {
    const list = items();
    return current >= 0 && current < list.length ? list[current] : null;
  }

  // The review form acted on by a key: the selected item's, or the document page's.
  function reviewForm() {
    const item = selected();
    if (item) return item.querySelector("form.review");
    return document.querySelector(".document form.review");
  }

  async function decide(decision) {
    const form = reviewForm();
    if (!form) return;
    const button = form.querySelector(`button[value="${decision}"]`);
    if (!button || button.disabled) return;
    const body = new FormData(form);
    body.set("decision", decision);
    let answer;
    try {
      answer = await fetch(form.action, {
        method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
      });
    } catch (err) {
      form.requestSubmit(button);  // the network failed: fall back to a plain POST
      return;
    }
    if (!answer.ok) {
      alert(`Not recorded (${answer.status}): reload the page and try again.`);
      return;
    }
    const item = form.closest(".item");
    if (item) {
      const index = items().indexOf(item);
      item.remove();
      const count = document.querySelector("h1 .count");
      if (count && /^\d+$/.test(count.textContent)) count.textContent = String(Number(count.textContent) - 1);
      if (items().length) select(index); else location.reload();
    } else {
      location.href = form.querySelector("input[name=next]").value || "/";
    }
  }

  // Forms in the queue also post in the background when clicked, keeping the reader's place.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches(".item form.review") || !event.submitter) return;
    event.preventDefault();
    const item = form.closest(".item");
    select(items().indexOf(item));
    decide(event.submitter.value);
  });

  // Times arrive in UTC; show them in the reader's own zone.
  function localTimes() {
    for (const node of document.querySelectorAll("time[datetime]")) {
      const value = node.getAttribute("datetime");
      if (value.length <= 10) continue;  // a date alone has no zone to convert
      const when = new Date(value);
      if (isNaN(when)) continue;
      const pad = (n) => String(n).padStart(2, "0");
      node.textContent = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ` +
        `${pad(when.getHours())}:${pad(when.getMinutes())}`;
      node.title = value;
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.matches && target.matches("input, textarea, select")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    const actions = {
      j: () => select(current + 1),
      k: () => select(current - 1),
      o: () => open(),
      Enter: () => open(),
      y: () => decide("kept"),
      n: () => decide("rejected"),
      u: () => decide("unreviewed"),
      "/": () => { const box = document.querySelector("input[type=search]"); if (box) box.focus(); },
      g: () => { location.href = "/"; },
      "?": () => document.getElementById("keys").classList.toggle("shown"),
    };
    const action = actions[event.key];
    if (!action) return;
    // Enter on a focused link or button is that link's or button's.
    if (event.key === "Enter" && (!selected() || target.closest("a, button, summary"))) return;
    event.preventDefault();
    action();
  });

  function open() {
    const item = selected();
    const link = item && item.querySelector("a.open");
    if (link) location.href = link.href;
  }

  localTimes();
  if (items().length) select(0);
})();
