/* Comments for any page: <script src=".../embed.js" data-site="PUBLIC_KEY" data-thread="ID" async></script>
   Optional: data-order="newest", data-target="#element-id". Plain JS, no cookies, no framework.
   Comment HTML comes sanitized by the service; names are always set as text. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.site || !script.dataset.thread) return;
  var base = new URL(script.src, location.href).origin;
  var key = script.dataset.site, thread = script.dataset.thread;
  var order = script.dataset.order === "newest" ? "newest" : "oldest";
  var uid = "moderation-" + Math.random().toString(36).slice(2, 8);
  var state = { comments: [], count: 0, closed: false, formats: [], defaultFormat: "", token: null, tokenAt: 0,
                reported: {} };
  var REASONS = [["offensive", "Offensive"], ["spam", "Spam"], ["off_topic", "Off-topic"], ["other", "Something else"]];

  var root = el("section", { "class": "moderation-embed", "aria-labelledby": uid + "-title" });
  var target = script.dataset.target && document.querySelector(script.dataset.target);
  if (target) target.appendChild(root); else script.parentNode.insertBefore(root, script.nextSibling);
  if (!document.querySelector("link[data-moderation-embed]")) {
    document.head.appendChild(el("link", { rel: "stylesheet", href: base + "/embed.css", "data-moderation-embed": "" }));
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function api(path, options) {
    options = options || {};
    var headers = { "Authorization": "Bearer " + key };
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(base + path, { method: options.method || "GET", headers: options.noKey ? {} : headers,
                                body: options.body, credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body, retryAfter: response.headers.get("Retry-After") };
        });
      });
  }

  function loadComments(cursor, pages) {
    var path = "/api/v1/threads/" + encodeURIComponent(thread) + "/comments?limit=100" +
               (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    return api(path).then(function (reply) {
      if (!reply.ok) throw new Error(reply.body.detail || "The comments could not be loaded.");
      if (!cursor) state.comments = [];
      state.comments = state.comments.concat(reply.body.comments);
      state.count = reply.body.count; state.closed = reply.body.closed;
      if (reply.body.next_cursor && pages < 20) return loadComments(reply.body.next_cursor, pages + 1);
    });
  }

  function renderList() {
    var byParent = {};
    state.comments.forEach(function (comment) {
      var parent = comment.parent && state.comments.some(function (c) { return c.id === comment.parent; }) ? comment.parent : "";
      (byParent[parent] = byParent[parent] || []).push(comment);
    });
    function branch(parent, depth) {
      var items = (byParent[parent] || []).slice();
      if (depth === 0 && order === "newest") items.reverse();
      return el("ol", {}, items.map(function (comment) {
        var body = el("div", { "class": "moderation-body" });
        body.innerHTML = comment.html;  // sanitized by the service's text format
        var date = new Date(comment.created_at);
        var article = el("article", { "aria-label": "Comment by " + comment.author.name }, [
          el("header", {}, [el("span", { "class": "moderation-author" }, [comment.author.name]),
                            el("time", { "class": "moderation-date", datetime: comment.created_at }, [date.toLocaleString()])]),
          body]);
        if (!state.closed) {
          var reply = el("button", { type: "button", "class": "moderation-link" }, ["Reply"]);
          reply.addEventListener("click", function () { replyTo(comment); });
          article.appendChild(reply);
        }
        article.appendChild(reportControl(comment));
        var item = el("li", { "class": "moderation-comment", id: uid + "-" + comment.id }, [article]);
        if (byParent[comment.id]) item.appendChild(branch(comment.id, depth + 1));
        return item;
      }));
    }
    return branch("", 0);
  }

  var list = el("div", { "class": "moderation-list", "aria-live": "polite" });
  var title = el("h2", { id: uid + "-title" }, ["Comments"]);
  var toggle = el("button", { type: "button", "class": "moderation-link" });
  toggle.addEventListener("click", function () { order = order === "newest" ? "oldest" : "newest"; render(); });
  var status = el("p", { "class": "moderation-status", role: "status", hidden: "" });
  var form = null, parentField = null, replyNote = null;

  function render() {
    title.textContent = state.count === 1 ? "1 comment" : state.count + " comments";
    toggle.textContent = order === "newest" ? "Show oldest first" : "Show newest first";
    list.textContent = "";
    list.appendChild(renderList());
    if (state.closed && form) { form.remove(); form = null; }
    if (state.closed && !root.querySelector(".moderation-closed")) {
      root.appendChild(el("p", { "class": "moderation-closed" }, ["Comments are closed on this article."]));
    }
  }

  function say(text) { status.textContent = text; status.hidden = false; }

  function fetchToken() {
    state.token = null;
    return api("/api/v1/form-token").then(function (reply) {
      if (reply.ok) { state.token = reply.body.form_token; state.tokenAt = Date.now(); state.tokenWait = reply.body.usable_after_seconds; }
    });
  }

  function replyTo(comment) {
    if (!form) return;
    parentField.value = comment.id;
    replyNote.textContent = "Replying to " + comment.author.name + " ";
    var cancel = el("button", { type: "button", "class": "moderation-link" }, ["(cancel)"]);
    cancel.addEventListener("click", function () { parentField.value = ""; replyNote.textContent = ""; });
    replyNote.appendChild(cancel);
    form.querySelector("textarea").focus();
  }

  // "Report": a reason, sent with the public key; the service counts one report per reader.
  function reportControl(comment) {
    var holder = el("div", { "class": "moderation-report" });
    if (state.reported[comment.id]) {
      holder.appendChild(el("p", { role: "status" }, [state.reported[comment.id]]));
      return holder;
    }
    var open = el("button", { type: "button", "class": "moderation-link", "aria-expanded": "false" }, ["Report"]);
    open.addEventListener("click", function () {
      open.setAttribute("aria-expanded", "true");
      open.hidden = true;
      holder.appendChild(reportForm(comment, holder, open));
    });
    holder.appendChild(open);
    return holder;
  }

  function reportForm(comment, holder, open) {
    var select = el("select", { name: "reason", id: uid + "-reason-" + comment.id },
                    REASONS.map(function (reason) { return el("option", { value: reason[0] }, [reason[1]]); }));
    var send = el("button", { type: "submit" }, ["Send report"]);
    var cancel = el("button", { type: "button", "class": "moderation-link" }, ["Cancel"]);
    var note = el("p", { role: "status" });
    var box = el("form", { "class": "moderation-report-form" }, [
      el("label", { "for": select.id }, ["Why should the moderators look at this comment?"]), select, send, cancel, note]);
    cancel.addEventListener("click", function () { box.remove(); open.hidden = false; open.setAttribute("aria-expanded", "false"); open.focus(); });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      send.disabled = true;
      api("/api/v1/comments/" + encodeURIComponent(comment.id) + "/reports",
          { method: "POST", body: JSON.stringify({ reason: select.value }) }).then(function (reply) {
        send.disabled = false;
        if (reply.status === 202) {
          state.reported[comment.id] = "Thank you: the moderators will look at this comment.";
          holder.textContent = "";
          holder.appendChild(el("p", { role: "status" }, [state.reported[comment.id]]));
        } else if (reply.status === 429) {
          note.textContent = "You have sent many reports; try again in " + (reply.retryAfter || "a few") + " seconds.";
        } else {
          note.textContent = "The report could not be sent: " + (reply.body.detail || reply.body.title || "error " + reply.status) + ".";
        }
      }).catch(function () { send.disabled = false; note.textContent = "The report could not be sent: the service did not answer."; });
    });
    setTimeout(function () { select.focus(); }, 0);
    return box;
  }

  function field(label, input) {
    input.id = uid + "-" + input.name;
    return el("div", {}, [el("label", { "for": input.id }, [label]), input]);
  }

  function buildForm() {
    parentField = el("input", { type: "hidden", name: "parent", value: "" });
    replyNote = el("p", { "class": "moderation-reply-note" });
    var formats = el("fieldset", {}, [el("legend", {}, ["Text format"])]);
    state.formats.forEach(function (format) {
      var radio = el("input", { type: "radio", name: "format", value: format.id, id: uid + "-format-" + format.id });
      if (format.id === state.defaultFormat) radio.checked = true;
      formats.appendChild(el("div", {}, [radio, " ", el("label", { "for": radio.id }, [format.name]),
        el("ul", { "class": "moderation-tips" }, format.tips.map(function (tip) { return el("li", {}, [tip]); }))]));
    });
    var honeypot = el("div", { "class": "moderation-hp", "aria-hidden": "true" },
      [el("label", {}, ["Leave this empty", el("input", { type: "text", name: "website", tabindex: "-1", autocomplete: "off" })])]);
    var button = el("button", { type: "submit" }, ["Publish"]);
    form = el("form", { novalidate: "" }, [
      replyNote,
      field("Your name", el("input", { type: "text", name: "name", required: "", maxlength: "100", autocomplete: "name" })),
      field("E-mail (not published)", el("input", { type: "email", name: "email", maxlength: "254", autocomplete: "email" })),
      field("Comment", el("textarea", { name: "body", required: "", rows: "6" })),
      formats, honeypot, parentField, button]);
    form.addEventListener("submit", function (event) { event.preventDefault(); publish(button); });
    return form;
  }

  function publish(button) {
    var values = new FormData(form);
    if (!String(values.get("name")).trim() || !String(values.get("body")).trim()) {
      say("Please give your name and a comment."); return;
    }
    button.disabled = true;
    var wait = Math.max(0, (state.tokenWait || 2) * 1000 - (Date.now() - state.tokenAt)) + 50;
    var payload = { thread: thread, author: { name: values.get("name"), email: values.get("email") || undefined },
                    body: values.get("body"), format: values.get("format") || state.defaultFormat,
                    parent: values.get("parent") || undefined, website: values.get("website"), form_token: state.token };
    if (/^https?:$/.test(location.protocol)) payload.thread_url = location.href.split("#")[0].slice(0, 2048);
    if (document.title) payload.thread_title = document.title.slice(0, 300);
    say("Sending…");
    setTimeout(function () {
      api("/api/v1/comments", { method: "POST", body: JSON.stringify(payload) }).then(function (reply) {
        button.disabled = false;
        fetchToken();
        if (reply.status === 202) {
          form.reset(); parentField.value = ""; replyNote.textContent = "";
          say("Thank you. Your comment is awaiting moderation.");
          follow(reply.body.status_url, 0);
        } else if (reply.status === 429) {
          say("You are commenting too fast; try again in " + (reply.retryAfter || "a few") + " seconds.");
        } else {
          var details = (reply.body.errors || []).map(function (error) { return error.detail; }).join("; ");
          say("Your comment could not be sent: " + (details || reply.body.detail || reply.body.title || "error " + reply.status) + ".");
        }
      }).catch(function () { button.disabled = false; say("Your comment could not be sent: the service did not answer."); });
    }, wait);
  }

  function follow(url, polls) {
    if (!url || polls > 60) return;
    setTimeout(function () {
      fetch(url, { credentials: "omit", cache: "no-store" }).then(function (response) { return response.json(); })
        .then(function (comment) {
          if (comment.status === "published") {
            say("Your comment is published.");
            loadComments(null, 0).then(render);
          } else if (comment.status === "not_published") {
            say("Your comment was not published.");
          } else {
            follow(url, polls + 1);
          }
        }).catch(function () { follow(url, polls + 1); });
    }, Math.min(10000, 1500 * (1 + polls / 4)));
  }

  root.appendChild(el("div", { "class": "moderation-bar" }, [title, toggle]));
  root.appendChild(list);
  root.appendChild(status);
  Promise.all([loadComments(null, 0), api("/api/v1/formats", { noKey: true }).then(function (reply) {
    state.formats = reply.body.formats || []; state.defaultFormat = reply.body["default"] || "";
  })]).then(function () {
    render();
    if (!state.closed) { root.appendChild(buildForm()); return fetchToken(); }
  }).catch(function (error) { say(error.message || "The comments could not be loaded."); });
})();
