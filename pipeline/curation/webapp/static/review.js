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

  const FIELDS = ["drugs", "drug_class", "gene", "alteration", "outcome", "evidence_level"];

  function isOpen(card) {
    const s = card.getAttribute("data-status");
    return s === "pending" || s === "needs_review";
  }

  function updateUndo(target) {
    const button = document.getElementById("undo");
    const id = document.getElementById("undo-id");
    const label = document.getElementById("undo-label");
    if (!button || !id || !label) return;
    id.value = target ? String(target.id) : "";
    button.disabled = !target;
    label.textContent = target ? target.label + " (" + target.curator + ")" : "nothing to undo";
  }

  function applyResult(card, data) {
    if (!card) return;
    const old = card.getAttribute("data-status");
    card.classList.remove("st-" + old);
    card.classList.add("st-" + data.status);
    card.setAttribute("data-status", data.status);
    setText(card, "status", data.status);
    FIELDS.forEach(function (name) {
      setText(card, name, data.current[name]);
      const input = card.querySelector(".f-edit [name=" + name + "]");
      if (input) input.value = data.current[name];
    });
    const l = data.latest;
    const last = l ? "Last decision: " + l.decision + (l.reason ? " (" + l.reason + ")" : "") +
      " by " + l.curator + " at " + l.decided_at + (l.note ? " — " + l.note : "") : "";
    setText(card, "last", last);
  }

  function applyCounts(data) {
    updateCounts(data.counts);
    updateUndo(data.undo);
    const filteredLeft = document.getElementById("filtered-left");
    if (filteredLeft) filteredLeft.textContent = String(cards.filter(isOpen).length);
  }

  // The next card still to review after the selected one (wrapping round). Asked for (n) with
  // none left on this page, the queue loads what is left under the same filters when this page
  // could not show it all; after a save it only says so.
  function nextUnreviewed(asked) {
    for (let step = 1; step <= cards.length; step++) {
      const i = (current + step) % cards.length;
      if (isOpen(cards[i])) { select(i); return; }
    }
    const link = document.getElementById("next-unreviewed");
    const left = document.getElementById("count-left");
    if (asked && link && link.getAttribute("data-more") === "1") {
      window.location.assign(link.getAttribute("href"));
      return;
    }
    const n = left ? Number(left.textContent) : 0;
    const el = document.getElementById("flash");
    const said = el && !el.classList.contains("error") && el.textContent ? el.textContent + " · " : "";
    flash(said + (n > 0 ? "None left to review on this page (" + n + " in the whole queue: change the filters)." : "Nothing left to review."), false);
  }

  async function post(form) {
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
      return null;
    }
    let data = null;
    try { data = await resp.json(); } catch (err) { data = null; }
    if (!resp.ok || !data || !data.ok) {
      flash("Not saved: " + ((data && data.error) || resp.status + " " + resp.statusText), true);
      return null;
    }
    return data;
  }

  async function submitDecision(form) {
    const card = form.closest("article.card");
    const data = await post(form);
    if (!data) return;
    applyResult(card, data);
    applyCounts(data);
    closePanels(card);
    flash("Saved: " + data.status + " " + data.triple_id.slice(0, 10), false);
    select(cards.indexOf(card));
    nextUnreviewed(false);
  }

  async function undoLast() {
    const form = document.getElementById("undo-form");
    if (!form || document.getElementById("undo").disabled) return;
    const data = await post(form);
    if (!data) return;
    const card = cards.find(function (c) { return c.getAttribute("data-triple-id") === data.triple_id; });
    applyResult(card, data);
    applyCounts(data);
    flash("Undone: " + data.undone.decision + " of " + data.triple_id.slice(0, 10) + (card ? " (now " + data.status + ")" : " (not on this page)"), false);
    if (card) { closePanels(card); select(cards.indexOf(card)); }
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
    if (!card && ev.key !== "/" && ev.key !== "u") return;
    switch (ev.key) {
      case "j": ev.preventDefault(); select(current + 1); break;
      case "k": ev.preventDefault(); select(current - 1); break;
      case "a": ev.preventDefault(); submitDecision(card.querySelector("form.f-accept")); break;
      case "r": ev.preventDefault(); openReject(card); break;
      case "e": ev.preventDefault(); openEdit(card); break;
      case "n": ev.preventDefault(); nextUnreviewed(true); break;
      case "u": ev.preventDefault(); undoLast(); break;
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
    const undoForm = document.getElementById("undo-form");
    if (undoForm) undoForm.addEventListener("submit", function (ev) { ev.preventDefault(); undoLast(); });
    const next = document.getElementById("next-unreviewed");
    if (next) next.addEventListener("click", function (ev) { ev.preventDefault(); nextUnreviewed(true); });
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
