// OncoTriples review queue: keyboard shortcuts and immediate saving of decisions.
// Loaded from /static (the Content-Security-Policy forbids inline script).
"use strict";

(function () {
  const REASONS = ["wrong_drug", "wrong_alteration", "wrong_outcome", "not_asserted", "duplicate", "other"];
  let cards = [];
  let current = -1;

  function csrf() {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function flash(text, isError) {
    const el = document.getElementById("flash");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", Boolean(isError));
  }

  function select(i) {
    if (!cards.length) return;
    i = Math.max(0, Math.min(cards.length - 1, i));
    if (current >= 0 && cards[current]) cards[current].classList.remove("sel");
    current = i;
    const card = cards[current];
    card.classList.add("sel");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function closePanels(card) {
    card.classList.remove("editing", "rejecting");
  }

  function setText(card, role, value) {
    const el = card.querySelector('[data-role="' + role + '"]');
    if (el) el.textContent = value;
  }

  function updateCounts(counts) {
    Object.keys(counts).forEach(function (k) {
      const el = document.getElementById("count-" + k);
      if (el) el.textContent = String(counts[k]);
    });
    document.title = "OncoTriples review (" + counts.left + " left)";
  }

  function applyResult(card, data) {
    const old = card.getAttribute("data-status");
    card.classList.remove("st-" + old);
    card.classList.add("st-" + data.status);
    card.setAttribute("data-status", data.status);
    setText(card, "status", data.status);
    setText(card, "drugs", data.current.drugs);
    setText(card, "gene", data.current.gene);
    setText(card, "alteration", data.current.alteration);
    setText(card, "outcome", data.current.outcome);
    const l = data.latest || {};
    let last = "Last decision: " + l.decision + (l.reason ? " (" + l.reason + ")" : "") +
      " by " + l.curator + " at " + l.decided_at + (l.note ? " — " + l.note : "");
    setText(card, "last", last);
    updateCounts(data.counts);
    const filteredLeft = document.getElementById("filtered-left");
    if (filteredLeft) {
      const open = cards.filter(function (c) {
        const s = c.getAttribute("data-status");
        return s === "pending" || s === "needs_review";
      }).length;
      filteredLeft.textContent = String(open);
    }
  }

  async function submitDecision(form) {
    const card = form.closest("article.card");
    const body = new FormData(form);
    const curator = document.getElementById("curator");
    if (curator && curator.value.trim()) body.set("curator", curator.value.trim());
    let resp;
    try {
      resp = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf(), "Accept": "application/json", "X-Requested-With": "fetch" },
      });
    } catch (err) {
      flash("Not saved: " + err, true);
      return;
    }
    let data = null;
    try { data = await resp.json(); } catch (err) { data = null; }
    if (!resp.ok || !data || !data.ok) {
      flash("Not saved: " + ((data && data.error) || resp.status + " " + resp.statusText), true);
      return;
    }
    applyResult(card, data);
    closePanels(card);
    flash("Saved: " + data.status + " " + data.triple_id.slice(0, 10), false);
    const i = cards.indexOf(card);
    select(i + 1 < cards.length ? i + 1 : i);
  }

  function openReject(card) {
    closePanels(card);
    card.classList.add("rejecting");
    const sel = card.querySelector(".f-reject select[name=reason]");
    if (sel) sel.focus();
  }

  function openEdit(card) {
    closePanels(card);
    card.classList.add("editing");
    const inp = card.querySelector(".f-edit input[name=drugs]");
    if (inp) inp.focus();
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    const inField = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
    const card = cards[current];
    if (ev.key === "Escape") {
      if (card) { closePanels(card); select(current); }
      return;
    }
    if (inField) {
      // In the reject panel, digits 1-6 pick a reason and save at once.
      const form = ev.target.closest ? ev.target.closest("form.f-reject") : null;
      if (form && tag === "SELECT" && /^[1-6]$/.test(ev.key)) {
        ev.preventDefault();
        form.querySelector("select[name=reason]").value = REASONS[Number(ev.key) - 1];
        submitDecision(form);
      } else if (form && tag === "SELECT" && ev.key === "Enter") {
        ev.preventDefault();
        if (form.reportValidity()) submitDecision(form);
      }
      return;
    }
    if (!card && ev.key !== "/") return;
    switch (ev.key) {
      case "j": ev.preventDefault(); select(current + 1); break;
      case "k": ev.preventDefault(); select(current - 1); break;
      case "a": ev.preventDefault(); submitDecision(card.querySelector("form.f-accept")); break;
      case "r": ev.preventDefault(); openReject(card); break;
      case "e": ev.preventDefault(); openEdit(card); break;
      case "/": {
        ev.preventDefault();
        const first = document.querySelector("#filters select, #filters input");
        if (first) first.focus();
        break;
      }
      default: break;
    }
  }

  function init() {
    document.body.classList.add("js");
    cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
    cards.forEach(function (card, i) {
      card.addEventListener("click", function () { if (current !== i) select(i); });
      card.querySelectorAll("form").forEach(function (form) {
        form.addEventListener("submit", function (ev) {
          ev.preventDefault();
          if (form.reportValidity()) submitDecision(form);
        });
      });
      const edit = document.createElement("button");
      edit.type = "button";
      edit.className = "b-open-edit";
      edit.textContent = "Edit…";
      edit.addEventListener("click", function () { select(i); openEdit(card); });
      card.querySelector(".actions").insertBefore(edit, card.querySelector(".f-edit"));
    });
    const curator = document.getElementById("curator");
    if (curator) {
      const saved = window.localStorage ? window.localStorage.getItem("oncotriples-curator") : null;
      if (saved) curator.value = saved;
      curator.addEventListener("change", function () {
        if (window.localStorage) window.localStorage.setItem("oncotriples-curator", curator.value.trim());
      });
    }
    document.addEventListener("keydown", onKey);
    if (cards.length) select(0);
    document.body.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
