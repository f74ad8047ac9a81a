// The moderators' dashboard: keyboard, actions without reloading, undo, polling for new
// comments, and sizing of the sandboxed frames. Plain JS, no framework; every page also works
// without it (forms post to the server).
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var cards = document.getElementById("cards");
  var toast = document.getElementById("toast");
  var help = document.getElementById("help");
  var lastDone = null;  // {undoUrl, card}
  var toastTimer = null;

  function allCards() { return Array.prototype.slice.call(document.querySelectorAll("article.card")); }
  function focused() { return document.querySelector("article.card.focused"); }

  function focusCard(card) {
    if (!card) return;
    allCards().forEach(function (c) { c.classList.remove("focused"); });
    card.classList.add("focused");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = allCards().filter(function (c) { return !c.classList.contains("done"); });
    if (!list.length) return;
    var index = list.indexOf(focused());
    focusCard(list[Math.max(0, Math.min(list.length - 1, index + step))] || list[0]);
  }

  function showToast(text, withUndo) {
    toast.textContent = "";
    var span = document.createElement("span");
    span.textContent = text;
    toast.appendChild(span);
    if (withUndo) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Undo (u)";
      button.addEventListener("click", undo);
      toast.appendChild(button);
    }
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 8000);
  }

  function problemText(response, body) {
    return (body && (body.detail || body.title)) || ("Error " + response.status);
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload || {})
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) throw new Error(problemText(response, body));
        return body;
      });
    });
  }

  function act(card, action) {
    if (!card || card.classList.contains("done")) return;
    var form = card.querySelector("form.actions");
    var reasonField = form && form.querySelector('select[name="reason"]');
    var noteField = form && form.querySelector('input[name="note"]');
    var payload = { action: action };
    if (action === "reject" || action === "take_down") {
      payload.reason = reasonField ? reasonField.value : "other";
      if (noteField && noteField.value) payload.note = noteField.value;
    }
    post(card.dataset.actionUrl, payload).then(function (body) {
      card.classList.add("done");
      card.dataset.status = body.comment.status;
      lastDone = { undoUrl: card.dataset.undoUrl, card: card };
      var label = action.replace("_", " ");
      showToast(label.charAt(0).toUpperCase() + label.slice(1) + (body.outcome === "unchanged" ? " (it already was)" : "") + ".",
                body.outcome === "changed");
      adjustCount(card.dataset.status, 1);
      adjustCount(cards ? cards.dataset.status : "", -1);
      if (card.contains(document.activeElement)) document.activeElement.blur();  // keys work again
      move(1);
    }).catch(function (error) { showToast(error.message, false); });
  }

  function adjustCount(status, delta) {
    var badge = document.querySelector('[data-count="' + status + '"]');
    if (badge) badge.textContent = String(Math.max(0, parseInt(badge.textContent, 10) + delta));
  }

  function undo() {
    if (!lastDone) return;
    var done = lastDone;
    post(done.undoUrl, {}).then(function () {
      lastDone = null;
      showToast("Undone.", false);
      window.location.reload();
    }).catch(function (error) { showToast(error.message, false); });
  }

  function toggleSelect(card) {
    if (!card) return;
    var box = card.querySelector('input[name="ids"]');
    if (!box) return;
    box.checked = !box.checked;
    updateSelection();
  }

  function updateSelection() {
    allCards().forEach(function (card) {
      var box = card.querySelector('input[name="ids"]');
      card.classList.toggle("selected", !!(box && box.checked));
    });
    var count = document.getElementById("selected-count");
    if (count) count.textContent = String(document.querySelectorAll('input[name="ids"]:checked').length);
  }

  function sizeFrame(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.body) frame.height = String(Math.min(600, Math.max(40, doc.body.offsetHeight + 24)));
    } catch (e) { /* not readable: keep the default height */ }
  }

  function wireCard(card) {
    var frame = card.querySelector("iframe.rendered-frame");
    if (frame) {
      frame.addEventListener("load", function () { sizeFrame(frame); });
      sizeFrame(frame);
    }
    card.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select, textarea, summary")) return;
      focusCard(card);
    });
    var box = card.querySelector('input[name="ids"]');
    if (box) box.addEventListener("change", updateSelection);
    var form = card.querySelector("form.actions:not(.commenter)");
    if (form) form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.name !== "action") return;
      event.preventDefault();
      act(card, button.value);
    });
  }

  function poll() {
    if (!cards || document.hidden) return;
    var url = cards.dataset.poll + (cards.dataset.poll.indexOf("?") < 0 ? "?" : "&") +
              "after_seq=" + encodeURIComponent(cards.dataset.lastSeq || "0") +
              "&next=" + encodeURIComponent(cards.dataset.next || "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        Object.keys(body.counts).forEach(function (status) {
          var badge = document.querySelector('[data-count="' + status + '"]');
          if (badge && body.counts[status] !== null) badge.textContent = String(body.counts[status]);
        });
        if (body.added) {
          var holder = document.createElement("div");
          holder.innerHTML = body.html;  // server-rendered and escaped by Jinja
          Array.prototype.slice.call(holder.children).forEach(function (card) {
            if (document.getElementById(card.id)) return;
            cards.appendChild(card);
            wireCard(card);
          });
          cards.dataset.lastSeq = String(body.last_seq);
          var empty = document.getElementById("empty");
          if (empty) empty.hidden = true;
          var notice = document.getElementById("new-comments");
          notice.textContent = body.added + " new comment(s) added below.";
          notice.hidden = false;
        }
      }).catch(function () { /* the next poll tries again */ });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target.closest && target.closest("input, textarea, select");
    if (event.key === "Escape") { help.hidden = true; if (typing) target.blur(); return; }
    if (typing) {
      // r then Enter: the reason chosen in the focused card's list rejects it.
      if (event.key === "Enter" && target.matches('article.card select[name="reason"]')) {
        event.preventDefault();
        act(target.closest("article.card"), target.closest("article.card").dataset.status === "approved" ? "take_down" : "reject");
      }
      return;
    }
    var card = focused();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": act(card, "approve"); break;
      case "s": act(card, "spam"); break;
      case "h": act(card, "hold"); break;
      case "x": toggleSelect(card); break;
      case "u": undo(); break;
      case "o": if (card) window.location.href = card.dataset.pageUrl; break;
      case "r":
        var reason = card && card.querySelector('select[name="reason"]');
        if (reason) reason.focus();
        break;
      case "?": help.hidden = !help.hidden; break;
      default: return;
    }
    event.preventDefault();
  });

  document.querySelectorAll("form[data-confirm], button[data-confirm]").forEach(function (element) {
    var form = element.tagName === "FORM" ? element : element.form;
    form.addEventListener("submit", function (event) {
      var asking = event.submitter && event.submitter.dataset.confirm ? event.submitter : element;
      if (asking.dataset.confirm && !window.confirm(asking.dataset.confirm)) event.preventDefault();
    });
  });

  allCards().forEach(wireCard);
  if (allCards().length) focusCard(allCards()[0]);
  if (cards) setInterval(poll, 5000);
})();
