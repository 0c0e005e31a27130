// 排摸通 offline outbox (issue 5): a survey record is saved on the phone first, shown at once as 待同步,
// then sent to POST /api/v1/surveys; it leaves the phone only when the server confirmed it (201/200 with the
// stored record: its id and the same client_uuid). Sends happen in the foreground — on app open, on the
// `online` event, on a timer while records wait, and with the 立即同步 button — because iOS Safari and
// WeChat have no Background Sync. A correction (the edit form, or a conflict settled with "mine") is an entry
// of its own, keyed by its correction_id and sent as PUT /api/v1/surveys/<id>, which applies it once.
// Also here: the conflict screen, the bar that offers 下一户 after saving, the service worker registration,
// its "new version" banner, the install hint, persistent storage and the warning at logout.
(function () {
  "use strict";

  var DB_NAME = "paimo";
  var STORE = "outbox";
  var API = "/api/v1/surveys";
  var TIMER_MS = 15000;
  var BACKOFF_BASE_MS = 5000;
  var BACKOFF_MAX_MS = 5 * 60 * 1000;
  var SEND_TIMEOUT_MS = 15000;
  var OUTCOMES = { surveyed: "已排摸", absent: "无人在家", refused: "拒绝配合" };
  var PURCHASE_CHECKS = ["ccc_mark", "id_label", "sample_available"];
  var TRAINING_CHECKS = ["products_pitched", "engineering_solicited"];
  var NOT_RECORD_FIELDS = { csrf_token: true, add: true, correction_id: true };
  var LIST_FIELDS = { pitched_products: true }; // domain/survey/form.py LIST_FIELDS
  var FIELD_LABELS = {
    client_uuid: "记录编号", community: "居委代码", "unit.type": "单位类型", "unit.address": "地址",
    "unit.name": "单位名称", visited_at: "走访时间", outcome: "走访结果", note: "备注", institution: "机构名称",
    institution_phone: "机构联系电话", trainer_identity: "培训人员身份", mode: "培训方式", date: "培训日期",
    fee: "收费（元）", content: "培训主要内容", product: "产品", quantity: "数量", amount: "金额（元）",
    channel: "购买渠道", training: "在哪条培训上买的", correction_id: "更正编号"
  };

  var state = { entries: [], authLost: false, flushing: null, again: false, inFlight: {}, csrf: null };

  // --- IndexedDB, by hand: one object store keyed by client_uuid --------------------------------------

  var dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "client_uuid" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = action(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var outbox = {
    all: function () { return withStore("readonly", function (s) { return s.getAll(); }); },
    get: function (uuid) { return withStore("readonly", function (s) { return s.get(uuid); }); },
    put: function (entry) { return withStore("readwrite", function (s) { s.put(entry); }); },
    remove: function (uuid) { return withStore("readwrite", function (s) { s.delete(uuid); }); },
    replace: function (uuid, entry) {
      return withStore("readwrite", function (s) { s.delete(uuid); s.put(entry); });
    }
  };

  function isCorrection(entry) { return entry.kind === "correction"; }

  // The record an entry is about: its own client_uuid, or for a correction the corrected record's.
  function recordUuid(entry) { return isCorrection(entry) ? entry.body.client_uuid : entry.client_uuid; }

  // --- a form as the API's record ---------------------------------------------------------------------

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function shanghaiNow() {
    // The device's clock as Shanghai wall time with its offset, e.g. 2023-03-20T10:15:00+08:00.
    return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 19) + "+08:00";
  }

  function insert(tree, parts, value) {
    var node = tree;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof node[parts[i]] !== "object" || node[parts[i]] === null) node[parts[i]] = {};
      node = node[parts[i]];
    }
    var last = parts[parts.length - 1];
    // A group of checkboxes (pitched_products) is a list of the codes checked, as on the server.
    if (LIST_FIELDS[last]) (node[last] = Array.isArray(node[last]) ? node[last] : []).push(value);
    else node[last] = value;
  }

  function isBlank(value) {
    if (value && typeof value === "object") {
      return Object.keys(value).every(function (k) { return isBlank(value[k]); });
    }
    return value === "" || value === null || value === undefined;
  }

  function listify(node) {
    // Objects keyed by digits become arrays in index order; trailing blank items (a block added but left
    // empty) are dropped, as the server's domain/survey/form.py does.
    if (!node || typeof node !== "object") return node;
    var keys = Object.keys(node);
    keys.forEach(function (k) { node[k] = listify(node[k]); });
    if (!keys.length || !keys.every(function (k) { return /^\d+$/.test(k); })) return node;
    var items = keys.map(Number).sort(function (a, b) { return a - b; }).map(function (k) { return node[k]; });
    while (items.length && isBlank(items[items.length - 1])) items.pop();
    return items;
  }

  function toBool(value, nullable) {
    if (value === "true") return true;
    if (value === "false") return false;
    return (value === "" || value === undefined || value === null) ? (nullable ? null : false) : value;
  }

  function formToRecord(form) {
    var tree = {};
    new FormData(form).forEach(function (value, name) {
      if (NOT_RECORD_FIELDS[name] || typeof value !== "string") return;
      var parts = name.split(".");
      if (parts.some(function (p) { return p === ""; })) return;
      insert(tree, parts, value);
    });
    var body = listify(tree);
    body.trainings = Array.isArray(body.trainings) ? body.trainings : [];
    body.purchases = Array.isArray(body.purchases) ? body.purchases : [];
    body.trainings.forEach(function (t) {
      TRAINING_CHECKS.forEach(function (k) { t[k] = toBool(t[k], false); });
    });
    body.purchases.forEach(function (p) {
      PURCHASE_CHECKS.forEach(function (k) { p[k] = toBool(p[k], true); });
      p.training = p.training === "" || p.training === undefined ? null :
        (/^\d+$/.test(p.training) ? Number(p.training) : p.training);
      if (/^\d+$/.test(p.quantity || "")) p.quantity = Number(p.quantity);
    });
    return body;
  }

  // client_uuids already used on this phone: a cached page offers the same hidden client_uuid again.
  function usedUuids() {
    try { return JSON.parse(localStorage.getItem("paimo.used") || "[]"); } catch (e) { return []; }
  }

  function markUsed(uuid) {
    var used = usedUuids();
    used.push(uuid);
    try { localStorage.setItem("paimo.used", JSON.stringify(used.slice(-2000))); } catch (e) { /* full */ }
  }

  // --- sending ------------------------------------------------------------------------------------------

  function csrfToken() {
    if (state.csrf) return state.csrf;
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (v) { clearTimeout(timer); resolve(v); }, function (e) { clearTimeout(timer); reject(e); });
    });
  }

  function readJson(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") !== 0) return Promise.resolve(null);
    return response.json().catch(function () { return null; });
  }

  function post(entry) {
    return withTimeout(fetch(isCorrection(entry) ? API + "/" + entry.survey_id : API, {
      method: isCorrection(entry) ? "PUT" : "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(entry.body)
    }), SEND_TIMEOUT_MS).then(function (response) {
      return readJson(response).then(function (json) { return { status: response.status, json: json }; });
    });
  }

  function refreshCsrf() {
    return fetch("/api/v1/csrf", { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        return readJson(response).then(function (json) {
          if (response.status === 401) return "auth";
          if (json && json.csrf_token) { state.csrf = json.csrf_token; return "ok"; }
          return "network";
        });
      });
  }

  // Send one entry; resolves to {result, json}: ok | network | auth | invalid | conflict.
  function send(entry, retried) {
    return post(entry).then(function (reply) {
      var s = reply.status, json = reply.json;
      if ((s === 200 || s === 201) && json && json.id && json.client_uuid === recordUuid(entry) &&
          (!isCorrection(entry) || json.id === entry.survey_id)) {
        return { result: "ok", json: json };
      }
      if (s === 401) return { result: "auth" };
      if (s === 400 && json && json.error === "csrf" && !retried) {
        return refreshCsrf().then(function (r) { return r === "ok" ? send(entry, true) : { result: r }; });
      }
      if (s === 422 && json && json.errors) return { result: "invalid", json: json };
      if (s === 409 && json) return { result: "conflict", json: json };
      if (s === 404 && json && isCorrection(entry)) {
        return { result: "invalid", json: { errors: { client_uuid: "找不到要更正的记录（已不在您负责的范围内），无法更正" } } };
      }
      return { result: "network" }; // 5xx, a captive portal's HTML 200, a proxy's error page…
    }, function () { return { result: "network" }; });
  }

  function backoff(attempts) {
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, Math.max(0, attempts - 1)));
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  // Apply a send's outcome to the stored entry; resolves to the outcome.
  function settle(entry, outcome) {
    var done;
    if (outcome.result === "ok") {
      state.authLost = false;
      try { localStorage.setItem("paimo.lastSync", String(Date.now())); } catch (e) { /* full */ }
      done = outbox.remove(entry.client_uuid).then(function () {
        if (isCorrection(entry)) forgetCachedEdit(entry.survey_id);
        markSynced(entry, outcome.json);
      });
    } else if (outcome.result === "invalid") {
      entry.status = "invalid";
      entry.errors = outcome.json.errors;
      done = outbox.put(entry);
    } else if (outcome.result === "conflict") {
      entry.status = "conflict";
      entry.errors = { client_uuid: outcome.json.message || "记录冲突" };
      done = outbox.put(entry);
    } else {
      if (outcome.result === "auth") state.authLost = true;
      entry.attempts = (entry.attempts || 0) + 1;
      entry.next_try = Date.now() + backoff(entry.attempts);
      done = outbox.put(entry);
    }
    return done.then(function () { return outcome; });
  }

  function sendEntry(entry) {
    state.inFlight[entry.client_uuid] = true;
    return send(entry).then(function (outcome) { return settle(entry, outcome); })
      .then(function (outcome) { delete state.inFlight[entry.client_uuid]; return outcome; },
        function (error) { delete state.inFlight[entry.client_uuid]; throw error; });
  }

  async function flushOnce(force) {
    var entries = (await outbox.all()).filter(function (e) { return e.status === "pending"; })
      .sort(function (a, b) { return a.created_at - b.created_at; });
    var sent = [];
    for (var i = 0; i < entries.length; i++) {
      var entry = entries[i];
      if (state.inFlight[entry.client_uuid]) continue;
      if (!force && (entry.next_try || 0) > Date.now()) continue;
      var outcome = await sendEntry(entry);
      tell(entry, outcome, sent);
      if (outcome.result === "network" || outcome.result === "auth") break; // no point trying the rest now
      await refresh();
    }
    if (sent.length === 1) announce((isCorrection(sent[0]) ? "已上传更正：" : "已上传：") + recordWords(sent[0]));
    else if (sent.length > 1) announce("已上传 " + sent.length + " 条记录");
  }

  // --- what a screen reader hears (issue 12): each record sent, or that could not be sent, once. The status
  // line is redrawn as records wait and go and is not a live region; a record still waiting is said once per
  // spell without signal, not at every retry. ----------------------------------------------------------------

  var heard = { offline: false, auth: false };

  function announce(text, urgent) {
    if (window.paimoAnnounce) window.paimoAnnounce(text, urgent);
  }

  function recordWords(entry) {
    return (((entry.body.unit && entry.body.unit.address) || "") + " " + (OUTCOMES[entry.body.outcome] || "")).trim();
  }

  function tell(entry, outcome, sent) {
    if (outcome.result === "ok") {
      sent.push(entry);
      heard.offline = heard.auth = false;
    } else if (outcome.result === "invalid") {
      announce("未能上传：" + recordWords(entry) + "，记录需要修改", true);
    } else if (outcome.result === "conflict") {
      announce("未能上传：" + recordWords(entry) + "，与已保存的记录冲突，需要处理", true);
    } else if (outcome.result === "auth") {
      if (!heard.auth) announce("登录已过期，记录仍保存在手机上，请重新登录后上传", true);
      heard.auth = true;
    } else if (!heard.offline) {
      heard.offline = true;
      announce("没有网络：记录保存在手机上，待同步，联网后自动上传");
    }
  }

  function flush(force) {
    if (state.flushing) {
      state.again = state.again || force;
      return state.flushing;
    }
    state.flushing = flushOnce(force).catch(function () { /* IndexedDB unavailable: nothing to send */ })
      .then(function () {
        state.flushing = null;
        if (state.again) { state.again = false; return flush(true); }
      }).then(refresh);
    return state.flushing;
  }

  // --- what the worker sees: #outbox-status, today's list, the unit rows --------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function counts() {
    var c = { pending: 0, invalid: 0, conflict: 0 };
    state.entries.forEach(function (e) { c[e.status] = (c[e.status] || 0) + 1; });
    return c;
  }

  function takeFlash() {
    try {
      var message = sessionStorage.getItem("paimo.flash");
      if (message) sessionStorage.removeItem("paimo.flash");
      return message;
    } catch (e) { return null; }
  }

  var flashMessage = takeFlash();
  if (flashMessage) announce(flashMessage);

  // One true sentence about what waits on this phone: never 全部已同步 while anything waits.
  function statusSentence(c, last) {
    var since = last ? "，上次同步 " + clock(last) : "";
    if (c.pending) return "手机上有 " + c.pending + " 条记录待同步" + since;
    if (c.invalid || c.conflict) return "手机上有 " + (c.invalid + c.conflict) + " 条记录未能上传，需要您处理" + since;
    if (last) return "手机上的记录已全部同步" + since;
    return "手机上没有待同步的记录";
  }

  function renderStatus() {
    var box = document.getElementById("outbox-status");
    if (!box) return;
    var c = counts();
    var last = Number(localStorage.getItem("paimo.lastSync") || 0);
    // Rebuild only when something shown changed: a button that keeps being replaced is hard to tap.
    var signature = JSON.stringify([c, last, state.authLost, flashMessage, location.pathname]);
    if (box.dataset.signature === signature) return;
    box.dataset.signature = signature;
    box.textContent = "";
    box.hidden = false;
    box.dataset.pending = String(c.pending);
    box.dataset.invalid = String(c.invalid);
    box.dataset.conflict = String(c.conflict);
    box.classList.toggle("has-pending", c.pending > 0);
    box.classList.toggle("needs-action", c.invalid + c.conflict > 0);
    if (flashMessage) box.appendChild(el("p", { "class": "outbox-flash" }, flashMessage));
    var line = el("p", { "class": "outbox-line" });
    line.appendChild(el("span", { "class": "outbox-count" }, statusSentence(c, last)));
    var button = el("button", { type: "button", "class": "small outbox-sync" }, "立即同步");
    button.addEventListener("click", function () { flush(true); });
    line.appendChild(button);
    box.appendChild(line);
    if (state.authLost) {
      var auth = el("p", { "class": "outbox-auth error" }, "登录已过期，记录仍保存在手机上。"); // said by tell()
      var next = location.pathname.indexOf("/survey/") === 0 ? location.pathname : "/survey/";
      auth.appendChild(el("a", { href: "/login?next=" + encodeURIComponent(next), "class": "button" }, "请重新登录"));
      box.appendChild(auth);
    }
    if (c.invalid) {
      var fix = el("p", { "class": "outbox-fix error" }, c.invalid + " 条记录需要修改 ");
      if (location.pathname !== "/survey/today") {
        fix.appendChild(el("a", { href: "/survey/today#today-list", "class": "button" }, "去处理"));
      }
      box.appendChild(fix);
    }
    if (c.conflict) {
      var settle = el("p", { "class": "outbox-fix outbox-conflicts error" }, c.conflict + " 条记录与已保存的记录冲突 ");
      if (location.pathname !== "/survey/conflicts") {
        settle.appendChild(el("a", { href: "/survey/conflicts", "class": "button" }, "去处理"));
      }
      box.appendChild(settle);
    }
  }

  function valueAt(body, path) {
    return path.split(".").reduce(function (node, key) {
      return node === null || node === undefined ? undefined : node[key];
    }, body);
  }

  function labelFor(path) {
    var parts = path.split(".");
    if (parts.length === 3 && /^\d+$/.test(parts[1])) {
      var which = parts[0] === "trainings" ? "第" + (Number(parts[1]) + 1) + "条培训 " : "第" + (Number(parts[1]) + 1) + "项购买 ";
      return which + (FIELD_LABELS[parts[2]] || parts[2]);
    }
    return FIELD_LABELS[path] || path;
  }

  function fixForm(entry) {
    // A record the server refused (422): each message at its field, the value editable, then send again.
    var form = el("form", { "class": "outbox-fix-form stack", "data-fix": entry.client_uuid });
    Object.keys(entry.errors || {}).forEach(function (path, i) {
      var value = valueAt(entry.body, path);
      var id = "fix-" + entry.client_uuid + "-" + i;
      if (value !== null && typeof value === "object") {
        form.appendChild(el("p", { "class": "field-error" }, labelFor(path) + "：" + entry.errors[path]));
        return;
      }
      form.appendChild(el("label", { "for": id }, labelFor(path)));
      var input = el("input", { id: id, name: path });
      input.value = value === null || value === undefined ? "" : String(value);
      form.appendChild(input);
      form.appendChild(el("p", { "class": "field-error" }, entry.errors[path]));
    });
    var row = el("p", { "class": "row" });
    row.appendChild(el("button", { type: "submit", "class": "primary small" }, "改好了，重新上传"));
    var drop = el("button", { type: "button", "class": "danger small" }, "删除这条记录");
    drop.addEventListener("click", function () {
      if (confirm("删除后这条记录不会上传，确定删除吗？")) outbox.remove(entry.client_uuid).then(refresh);
    });
    row.appendChild(drop);
    form.appendChild(row);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Array.prototype.forEach.call(form.querySelectorAll("input[name]"), function (input) {
        var parts = input.name.split(".");
        var value = input.value.trim();
        insert(entry.body, parts, /^(true|false)$/.test(value) ? value === "true" : value);
      });
      entry.status = "pending";
      entry.errors = null;
      entry.attempts = 0;
      entry.next_try = 0;
      outbox.put(entry).then(refresh).then(function () { flush(true); });
    });
    return form;
  }

  var MARKS = { pending: "待同步", invalid: "需修改", conflict: "冲突" };

  function renderToday() {
    var list = document.getElementById("today-list");
    if (!list) return;
    var waiting = {};
    state.entries.forEach(function (entry) {
      var uuid = recordUuid(entry);
      waiting[uuid] = entry;
      var item = list.querySelector('li.record[data-client-uuid="' + uuid + '"]');
      if (!item) {
        item = el("li", { "class": "record outbox-record", "data-client-uuid": uuid });
        item.appendChild(el("span", { "class": "time" }, String(entry.body.visited_at || "").slice(11, 16)));
        item.appendChild(el("span", { "class": "addr" }, (entry.body.unit && entry.body.unit.address) || ""));
        item.appendChild(el("span", { "class": "badge " + entry.body.outcome }, OUTCOMES[entry.body.outcome] || ""));
        list.insertBefore(item, list.firstChild);
      }
      var mark = item.querySelector(".outbox-mark") || item.appendChild(el("span"));
      var text = MARKS[entry.status] || "待同步";
      mark.className = "badge outbox-mark outbox-" + entry.status;
      mark.textContent = isCorrection(entry) && entry.status === "pending" ? "更正待同步" : text;
      var old = item.querySelector(".outbox-fix-form, .outbox-conflict");
      if (old) old.remove();
      if (entry.status === "invalid") item.appendChild(fixForm(entry));
      if (entry.status === "conflict") {
        var note = el("p", { "class": "field-error outbox-conflict" },
          "服务器上已有这条记录的另一个版本。");
        note.appendChild(el("a", { href: "/survey/conflicts", "class": "button" }, "对照处理"));
        item.appendChild(note);
      }
    });
    Array.prototype.forEach.call(list.querySelectorAll("li.record .outbox-mark"), function (mark) {
      var item = mark.closest("li.record");
      if (!waiting[item.dataset.clientUuid] && !mark.classList.contains("outbox-synced")) mark.remove();
    });
    var shown = list.querySelectorAll("li.record").length;
    var count = document.getElementById("today-count");
    if (count) count.textContent = String(shown);
    var empty = document.getElementById("today-empty");
    if (empty) empty.hidden = shown > 0;
  }

  function markSynced(entry, stored) {
    var item = document.querySelector('#today-list li.record[data-client-uuid="' + recordUuid(entry) + '"]');
    if (item) {
      var mark = item.querySelector(".outbox-mark") || item.appendChild(el("span"));
      mark.className = "badge outbox-mark outbox-synced";
      mark.textContent = isCorrection(entry) ? "已更正" : "已同步";
      if (!item.querySelector("a")) {
        item.appendChild(el("a", { href: "/survey/records/" + stored.id, "class": "button" }, "查看"));
      }
    }
    markUnitRows();
    refreshRow(entry);
  }

  function forgetCachedEdit(surveyId) {
    // The phone's copy of the edit page shows the record as it was: drop it, the next visit fetches it anew.
    if (!window.caches) return;
    caches.open("paimo-pages").then(function (cache) {
      return cache.delete("/survey/records/" + surveyId + "/edit", { ignoreVary: true });
    }).catch(function () {});
  }

  function unitKey(community, address) { return community + "|" + address; }

  function markUnitRows() {
    // Each unit row (class "unit") with a waiting record: its badge shows that record's outcome, 待同步.
    var latest = {};
    state.entries.forEach(function (e) {
      var key = unitKey(e.body.community, e.body.unit && e.body.unit.address);
      if (!latest[key] || latest[key].body.visited_at <= e.body.visited_at) latest[key] = e;
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-outbox]"), function (form) {
      var row = form.closest(".unit");
      var badge = row && row.querySelector(".badge");
      var community = form.querySelector('[name="community"]');
      var address = form.querySelector('[name="unit.address"]');
      if (!badge || !community || !address) return;
      var entry = latest[unitKey(community.value, address.value)];
      if (entry) {
        row.dataset.state = entry.body.outcome; // the row looks visited at once
        badge.dataset.outboxState = entry.body.outcome;
        badge.className = "badge " + entry.body.outcome + " outbox-pending outbox-" + entry.status;
        badge.textContent = (OUTCOMES[entry.body.outcome] || "") + " · " + (MARKS[entry.status] || "待同步");
      } else if (badge.dataset.outboxState) {
        // Sent: the row shows the outcome stored (refreshRow then brings the server's own row).
        row.dataset.state = badge.dataset.outboxState;
        badge.className = "badge " + badge.dataset.outboxState;
        badge.textContent = OUTCOMES[badge.dataset.outboxState] || "";
        delete badge.dataset.outboxState;
      }
    });
  }

  function refreshRow(entry) {
    // Once a record is stored, its unit's row as the server now draws it (visited look, flags, 更正).
    var key = unitKey(entry.body.community, entry.body.unit && entry.body.unit.address);
    Array.prototype.forEach.call(document.querySelectorAll("li.unit[id^='unit-']"), function (row) {
      var community = row.querySelector('[name="community"]');
      var address = row.querySelector('[name="unit.address"]');
      if (!community || !address || unitKey(community.value, address.value) !== key) return;
      fetch("/survey/units/" + row.id.slice(5) + "/row", { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) {
          if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("text/html") !== 0) return;
          return response.text().then(function (html) {
            var template = document.createElement("template");
            template.innerHTML = html.trim();
            var fresh = template.content.querySelector("li.unit");
            if (!fresh || !row.parentNode || waitingFor(key, entry.client_uuid)) return;
            var focused = row.contains(document.activeElement) ? document.activeElement : null;
            row.replaceWith(fresh);
            if (window.htmx) window.htmx.process(fresh);
            if (focused) keepFocus(focused, fresh);
          });
        }).catch(function () { /* the badge already says it is stored */ });
    });
  }

  function keepFocus(was, row) {
    // The worker's focus was in the row just redrawn (a one-tap button that is now gone): keep it in that row,
    // on the same control if it is still there, else on the row's first link or button, so that a screen
    // reader or a keyboard does not fall back to the top of the page.
    var same = Array.prototype.filter.call(row.querySelectorAll("a, button"), function (c) {
      return c.tagName === was.tagName && c.textContent.trim() === was.textContent.trim();
    })[0];
    var target = same || row.querySelector("a[href], button");
    if (!target) {
      row.setAttribute("tabindex", "-1");
      target = row;
    }
    target.focus({ preventScroll: true });
  }

  function waitingFor(key, sent) {
    return state.entries.some(function (e) {
      return e.client_uuid !== sent && unitKey(e.body.community, e.body.unit && e.body.unit.address) === key;
    });
  }

  function refresh() {
    return outbox.all().then(function (entries) {
      state.entries = entries.sort(function (a, b) { return a.created_at - b.created_at; });
    }, function () { state.entries = []; }).then(function () {
      renderStatus();
      renderToday();
      markUnitRows();
      renderConflicts();
    });
  }

  // --- saving a survey form in the outbox ------------------------------------------------------------

  function showFieldErrors(form, errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (p) { p.textContent = ""; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (c) { c.removeAttribute("aria-invalid"); });
    var unplaced = [];
    Object.keys(errors).forEach(function (path) {
      var target = document.getElementById("err-" + path.replace(/\./g, "-"));
      if (target && form.contains(target)) target.textContent = errors[path];
      else unplaced.push(labelFor(path) + "：" + errors[path]);
      Array.prototype.forEach.call(form.querySelectorAll('[name="' + path + '"]'), function (control) {
        if (control.type !== "hidden") control.setAttribute("aria-invalid", "true");
      });
    });
    var alert = form.querySelector(".outbox-form-error") || form.insertBefore(
      el("p", { "class": "error outbox-form-error", role: "alert" }), form.firstChild);
    alert.textContent = "记录有误，请按红字提示修改后再保存。" + unplaced.join("；");
    focusFirstError(form, alert);
  }

  function focusFirstError(form, fallback) {
    // The first wrong field on the form, top to bottom, in view and focused (else the message above all).
    var first = form.querySelector('[aria-invalid="true"]');
    var target = first || fallback;
    target.scrollIntoView({ block: "center" });
    if (first) first.focus({ preventScroll: true });
  }

  function backTarget() {
    var ref = document.referrer;
    if (ref && ref.indexOf(location.origin + "/survey/") === 0 && ref.split("#")[0] !== location.href.split("#")[0]) {
      return ref;
    }
    return "/survey/today";
  }

  function saveForm(form) {
    var body = formToRecord(form);
    var correcting = form.dataset.correct;
    var entry = { status: "pending", attempts: 0, next_try: 0, errors: null, created_at: Date.now() };
    if (correcting) {
      // A correction keeps the record's client_uuid and visit time; its own correction_id makes it once-only.
      var idField = form.querySelector('[name="correction_id"]');
      var correctionId = idField && idField.value;
      if (!correctionId || usedUuids().indexOf(correctionId) !== -1) correctionId = newUuid();
      markUsed(correctionId);
      if (idField) idField.value = newUuid();
      body.correction_id = correctionId;
      entry.kind = "correction";
      entry.survey_id = Number(correcting);
      entry.client_uuid = correctionId;
    } else {
      var hidden = form.querySelector('[name="client_uuid"]');
      if (!body.client_uuid || usedUuids().indexOf(body.client_uuid) !== -1) body.client_uuid = newUuid();
      body.visited_at = shanghaiNow();
      markUsed(body.client_uuid);
      if (hidden) hidden.value = newUuid(); // the next tap on this form is another visit
      entry.client_uuid = body.client_uuid;
    }
    entry.body = body;
    return outbox.put(entry).then(function () { return refresh(); }).then(function () { return entry; });
  }

  // After a full record: back to its building at its row, where the bar says what happened and offers 下一户.
  function goBack(form, entry, message) {
    try {
      sessionStorage.setItem("paimo.saved", JSON.stringify({ unit: form.dataset.unit, message: message }));
    } catch (e) { /* private mode: the bar is a convenience */ }
    var back = form.dataset.back || backTarget();
    location.assign(back.split("#")[0] + (form.dataset.unit ? "#unit-" + form.dataset.unit : ""));
  }

  function onSurveySubmit(event, form) {
    var submitter = event.submitter;
    if (submitter && submitter.name === "add") return; // 增加一条培训 without JavaScript: the server's job
    event.preventDefault();
    event.stopImmediatePropagation(); // the record goes through the outbox, not htmx or a plain POST
    if (form.dataset.outboxBusy) return;
    form.dataset.outboxBusy = "1";
    var oneTap = !!form.closest(".unit");
    saveForm(form).then(function (entry) {
      if (oneTap) {
        delete form.dataset.outboxBusy;
        flush(true);
        return;
      }
      var address = entry.body.unit.address;
      var verb = isCorrection(entry) ? "更正" : "记录";
      return sendEntry(entry).then(function (outcome) {
        delete form.dataset.outboxBusy;
        if (outcome.result === "ok") {
          goBack(form, entry, (isCorrection(entry) ? "已更正：" : "已保存：") + address);
        } else if (outcome.result === "invalid") {
          // The worker is still on the form: fix it here; the form keeps the values, the outbox lets go.
          return outbox.remove(entry.client_uuid).then(refresh).then(function () {
            showFieldErrors(form, outcome.json.errors);
          });
        } else if (outcome.result === "conflict") {
          location.assign("/survey/conflicts");
        } else {
          goBack(form, entry, verb + "已保存在手机上（待同步），联网后会自动上传：" + address);
        }
      });
    }, function () {
      delete form.dataset.outboxBusy;
      alert("无法在手机上保存记录（浏览器存储不可用），请联网后提交。");
    });
  }

  // --- the bar after saving: what was saved, and the next door not yet visited ------------------------------

  function nextNotVisited(row) {
    var rows = Array.prototype.slice.call(row.parentNode.querySelectorAll("li.unit"));
    var at = rows.indexOf(row) + 1;
    var order = rows.slice(at).concat(rows.slice(0, at));
    for (var i = 0; i < order.length; i++) {
      var badge = order[i].querySelector(".badge");
      var waiting = badge && badge.dataset.outboxState;
      if (order[i] !== row && order[i].dataset.state === "not_visited" && !waiting) return order[i];
    }
    return null;
  }

  function showSavedBar() {
    var saved;
    try {
      saved = JSON.parse(sessionStorage.getItem("paimo.saved") || "null");
      sessionStorage.removeItem("paimo.saved");
    } catch (e) { return; }
    if (!saved || document.getElementById("saved-bar")) return;
    var row = document.getElementById("unit-" + saved.unit);
    var main = document.querySelector("main");
    if (!row || !main) return;
    var bar = el("div", { id: "saved-bar", "class": "saved-bar" });
    announce(saved.message);
    bar.appendChild(el("span", { "class": "saved-message" }, saved.message));
    var next = nextNotVisited(row);
    if (next) {
      var link = el("a", { "class": "button primary", href: "#" + next.id },
        "下一户：" + next.querySelector(".addr").firstChild.textContent.trim());
      bar.appendChild(link);
    } else {
      bar.appendChild(el("span", { "class": "hint" }, "这里的单位都走访过了"));
    }
    main.appendChild(bar);
    row.scrollIntoView({ block: "center" });
  }

  document.addEventListener("click", function (event) {
    // 下一户 leads to the next row; the bar has done its job.
    var link = event.target.closest && event.target.closest("#saved-bar a");
    if (link) setTimeout(function () { var bar = document.getElementById("saved-bar"); if (bar) bar.remove(); }, 0);
  });

  function onLogout(event) {
    var waiting = state.entries.length;
    if (waiting && !confirm("还有 " + waiting + " 条记录没有上传到服务器。退出后记录仍保存在这台手机上，" +
        "下次登录后继续上传。确定退出吗？")) {
      event.preventDefault();
      return;
    }
    try { sessionStorage.removeItem("paimo.precached"); } catch (e) { /* ignore */ }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "LOGOUT" });
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches("form[data-outbox]")) onSurveySubmit(event, form);
    else if (/\/logout$/.test(form.getAttribute("action") || "")) onLogout(event);
  }, true);

  // --- the conflict screen (/survey/conflicts): the phone's version beside the stored one -------------------

  function compareHtml(entry, retried) {
    var url = document.getElementById("conflicts").dataset.compareUrl;
    return withTimeout(fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(entry.body)
    }), SEND_TIMEOUT_MS).then(function (response) {
      if (response.status === 400 && !retried) {
        return refreshCsrf().then(function (r) { if (r === "ok") return compareHtml(entry, true); throw new Error(r); });
      }
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    });
  }

  function renderConflicts() {
    var box = document.getElementById("conflicts");
    if (!box) return;
    var conflicts = state.entries.filter(function (e) { return e.status === "conflict"; });
    var none = document.getElementById("conflicts-none");
    if (none) none.hidden = conflicts.length > 0 || !!box.querySelector(".conflict-done");
    conflicts.forEach(function (entry) {
      var id = "conflict-" + entry.client_uuid;
      var section = document.getElementById(id);
      if (section && (section.dataset.loaded || section.dataset.loading)) return;
      if (!section) {
        section = el("section", { id: id, "class": "conflict", "data-entry": entry.client_uuid });
        section.appendChild(el("h2", {}, (entry.body.unit && entry.body.unit.address) || "记录"));
        section.appendChild(el("div", { "class": "conflict-body" }, "正在对照……"));
        box.appendChild(section);
      }
      var body = section.querySelector(".conflict-body");
      section.dataset.loading = "1";
      compareHtml(entry).then(function (html) {
        body.innerHTML = html; // the server's own fragment (templates/survey/_conflict.html)
        section.dataset.loaded = "1";
      }, function (error) {
        delete section.dataset.loading;
        var gone = error.message === "404";
        body.textContent = gone ? "服务器上找不到这条记录（可能已不在您负责的范围内）。" :
          "现在没有网络，联网后才能对照两边的记录。";
        if (gone) body.appendChild(el("button", { type: "button", "class": "primary", "data-resolve": "keep" }, "删除手机上的这条记录"));
      });
    });
  }

  function settleConflict(button) {
    var section = button.closest("section.conflict");
    var uuid = section && section.dataset.entry;
    return outbox.get(uuid).then(function (entry) {
      if (!entry) return;
      if (button.dataset.resolve === "keep") {
        if (!confirm("删除手机上的这条记录，保留服务器上已保存的？")) return;
        return outbox.remove(uuid).then(function () { return settled(section, "已保留已保存的记录，手机上的版本已删除。"); });
      }
      // Mine: the phone's version becomes a correction of the stored record, sent like any other.
      var body = JSON.parse(JSON.stringify(entry.body));
      body.correction_id = newUuid();
      markUsed(body.correction_id);
      var correction = { client_uuid: body.correction_id, kind: "correction", survey_id: Number(button.dataset.surveyId),
                         body: body, status: "pending", attempts: 0, next_try: 0, errors: null, created_at: Date.now() };
      return outbox.replace(uuid, correction).then(function () {
        return settled(section, "正在用手机上的版本更正已保存的记录……");
      }).then(function () { return flush(true); }).then(function () {
        return outbox.get(correction.client_uuid);
      }).then(function (left) {
        var note = section.querySelector(".conflict-done");
        if (!left) note.textContent = "已用手机上的版本更正了已保存的记录。";
        else if (left.status === "pending") note.textContent = "更正已保存在手机上（待同步），联网后会自动上传。";
        else note.textContent = "更正没能上传，请到今日记录里查看。";
      });
    });
  }

  function settled(section, message) {
    var body = section.querySelector(".conflict-body");
    if (body) body.remove();
    section.appendChild(el("p", { "class": "notice conflict-done", role: "status" }, message));
    return refresh();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#conflicts [data-resolve]");
    if (button) settleConflict(button);
  });

  // --- 增加一条培训/购买 while offline: the cached empty block, renumbered --------------------------------

  function addBlockOffline(kind, button) {
    var form = button.closest("form");
    var container = document.getElementById(kind);
    if (!form || !container) return;
    var singular = kind === "trainings" ? "training" : "purchase";
    var index = container.querySelectorAll("fieldset." + singular).length;
    fetch("/survey/form/" + kind, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error("no block");
        return response.text();
      }).then(function (html) {
        html = html.replace(new RegExp(kind + "([.-])0([.-])", "g"), kind + "$1" + index + "$2")
          .replace(new RegExp(singular + "-0\"", "g"), singular + "-" + index + "\"")
          .replace(/第1(条培训|项购买)/, "第" + (index + 1) + "$1");
        var template = document.createElement("template");
        template.innerHTML = html;
        var block = template.content.querySelector("fieldset");
        if (!block) throw new Error("no block");
        container.appendChild(block);
        var trainings = form.querySelectorAll("fieldset.training").length;
        if (kind === "trainings") {
          form.querySelectorAll('select[name^="purchases."][name$=".training"]').forEach(function (select) {
            select.appendChild(el("option", { value: String(index) }, "第" + (index + 1) + "条培训"));
          });
        } else {
          var select = block.querySelector('select[name$=".training"]');
          for (var t = 0; select && t < trainings; t++) {
            if (!select.querySelector('option[value="' + t + '"]')) {
              select.appendChild(el("option", { value: String(t) }, "第" + (t + 1) + "条培训"));
            }
          }
        }
        if (window.htmx) window.htmx.process(block);
      }).catch(function () {
        alert("现在没有网络，无法增加。请联网后再试，或先保存已填写的内容。");
      });
  }

  document.addEventListener("htmx:sendError", function (event) {
    var path = event.detail && event.detail.requestConfig && event.detail.requestConfig.path;
    var match = /^\/survey\/form\/(trainings|purchases)/.exec(path || "");
    if (match) addBlockOffline(match[1], event.detail.elt);
  });

  // --- service worker, new version banner, install hint, persistent storage ---------------------------

  var reloadRequested = false;

  function showUpdateBanner(registration) {
    if (document.getElementById("update-banner")) return;
    var banner = el("div", { id: "update-banner", "class": "update-banner", role: "status" });
    banner.appendChild(el("span", {}, "排摸通有新版本。"));
    var button = el("button", { type: "button", "class": "small primary" }, "刷新使用新版本");
    button.addEventListener("click", function () {
      var worker = registration.waiting || registration.installing;
      reloadRequested = true;
      if (worker) worker.postMessage({ type: "SKIP_WAITING" });
      else location.reload();
    });
    banner.appendChild(button);
    document.body.insertBefore(banner, document.body.firstChild);
  }

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloadRequested) location.reload();
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      if (registration.waiting && navigator.serviceWorker.controller) showUpdateBanner(registration);
      registration.addEventListener("updatefound", function () {
        var worker = registration.installing;
        if (!worker) return;
        worker.addEventListener("statechange", function () {
          if (worker.state === "installed" && navigator.serviceWorker.controller) showUpdateBanner(registration);
        });
      });
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (!registration || !registration.active || !navigator.onLine) return;
      // The record forms, edit pages and building filters linked from here, so that they open offline too.
      var links = document.querySelectorAll('a[href^="/survey/units/"][href$="/record"], a[data-prefetch]');
      var urls = Array.prototype.map.call(links, function (a) { return a.getAttribute("href"); });
      if (urls.length) registration.active.postMessage({ type: "PREFETCH", urls: urls });
      if (!sessionStorage.getItem("paimo.precached")) {
        sessionStorage.setItem("paimo.precached", "1");
        registration.active.postMessage({ type: "PRECACHE_PAGES" });
      }
    }).catch(function () { /* no service worker: the outbox still works while the page is open */ });
  }

  function setUpInstallHint() {
    var hint = document.getElementById("install-hint");
    var standalone = window.matchMedia && window.matchMedia("(display-mode: standalone)").matches ||
      navigator.standalone === true;
    if (!hint || standalone || localStorage.getItem("paimo.installHint") === "dismissed") return;
    var dismiss = document.getElementById("install-dismiss");
    if (dismiss) {
      dismiss.addEventListener("click", function () {
        localStorage.setItem("paimo.installHint", "dismissed");
        hint.hidden = true;
      });
    }
    if (/iPhone|iPad|iPod/.test(navigator.userAgent) && !/MicroMessenger/.test(navigator.userAgent)) {
      hint.querySelector(".install-ios").hidden = false;
      hint.hidden = false;
    }
    var prompt = null;
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      prompt = event;
      hint.querySelector(".install-android").hidden = false;
      hint.hidden = false;
    });
    var install = document.getElementById("install-app");
    if (install) {
      install.addEventListener("click", function () {
        if (!prompt) return;
        prompt.prompt();
        prompt = null;
        hint.hidden = true;
      });
    }
    window.addEventListener("appinstalled", function () { hint.hidden = true; });
  }

  function askForPersistentStorage() {
    if (!navigator.storage || !navigator.storage.persist) return;
    navigator.storage.persisted().then(function (persisted) {
      if (!persisted) return navigator.storage.persist();
    }).catch(function () {});
  }

  function start() {
    registerServiceWorker();
    setUpInstallHint();
    askForPersistentStorage();
    refresh().then(showSavedBar).then(function () { flush(true); });
    window.addEventListener("online", function () { flush(true); });
    window.addEventListener("pageshow", function (event) { if (event.persisted) refresh().then(function () { flush(true); }); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") flush(true);
    });
    setInterval(function () { if (counts().pending) flush(false); }, TIMER_MS);
  }

  // Hooks for the tests and the console: what waits, and a way to send now.
  window.paimoOutbox = { flush: flush, entries: function () { return outbox.all(); }, formToRecord: formToRecord };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
