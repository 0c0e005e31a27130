// 排摸通 offline outbox (issue 5): a survey record is saved on the phone first, shown at once as 待同步,
// then sent to POST /api/v1/surveys; it leaves the phone only when the server confirmed it (201/200 with the
// stored record: its id and the same client_uuid). Sends happen in the foreground — on app open, on the
// `online` event, on a timer while records wait, and with the 立即同步 button — because iOS Safari and
// WeChat have no Background Sync. Also here: the service worker registration, its "new version" banner,
// the install hint, persistent storage and the warning at logout.
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
  var NOT_RECORD_FIELDS = { csrf_token: true, add: true };
  var FIELD_LABELS = {
    client_uuid: "记录编号", community: "居委代码", "unit.type": "单位类型", "unit.address": "地址",
    "unit.name": "单位名称", visited_at: "走访时间", outcome: "走访结果", note: "备注", institution: "机构名称",
    institution_phone: "机构联系电话", trainer_identity: "培训人员身份", mode: "培训方式", date: "培训日期",
    fee: "收费（元）", content: "培训主要内容", product: "产品", quantity: "数量", amount: "金额（元）",
    channel: "购买渠道", training: "在哪条培训上买的"
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
    remove: function (uuid) { return withStore("readwrite", function (s) { s.delete(uuid); }); }
  };

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
    node[parts[parts.length - 1]] = value;
  }

  function isBlank(value) {
    if (value && typeof value === "object") {
      return Object.keys(value).every(function (k) { return isBlank(value[k]); });
    }
    return value === "" || value === null || value === undefined;
  }

  function listify(node) {
    // Objects keyed by digits become arrays in index order; trailing blank items (a block added but left
    // empty) are dropped, as the server's domain/survey_form.py does.
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
    return withTimeout(fetch(API, {
      method: "POST", credentials: "same-origin", cache: "no-store",
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
      if ((s === 200 || s === 201) && json && json.id && json.client_uuid === entry.client_uuid) {
        return { result: "ok", json: json };
      }
      if (s === 401) return { result: "auth" };
      if (s === 400 && json && json.error === "csrf" && !retried) {
        return refreshCsrf().then(function (r) { return r === "ok" ? send(entry, true) : { result: r }; });
      }
      if (s === 422 && json && json.errors) return { result: "invalid", json: json };
      if (s === 409 && json) return { result: "conflict", json: json };
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
      done = outbox.remove(entry.client_uuid).then(function () { markSynced(entry, outcome.json); });
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
    for (var i = 0; i < entries.length; i++) {
      var entry = entries[i];
      if (state.inFlight[entry.client_uuid]) continue;
      if (!force && (entry.next_try || 0) > Date.now()) continue;
      var outcome = await sendEntry(entry);
      if (outcome.result === "network" || outcome.result === "auth") break; // no point trying the rest now
      await refresh();
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
    if (flashMessage) box.appendChild(el("p", { "class": "outbox-flash", role: "status" }, flashMessage));
    var line = el("p", { "class": "outbox-line" });
    line.appendChild(el("span", { "class": "outbox-count" }, c.pending ? "待同步 " + c.pending + " 条" : "全部已同步"));
    line.appendChild(el("span", { "class": "outbox-last" }, last ? "上次同步 " + clock(last) : "尚未同步"));
    var button = el("button", { type: "button", "class": "small outbox-sync" }, "立即同步");
    button.addEventListener("click", function () { flush(true); });
    line.appendChild(button);
    box.appendChild(line);
    if (state.authLost) {
      var auth = el("p", { "class": "outbox-auth error", role: "alert" }, "登录已过期，记录仍保存在手机上。请重新登录 ");
      var next = location.pathname.indexOf("/survey/") === 0 ? location.pathname : "/survey/";
      auth.appendChild(el("a", { href: "/login?next=" + encodeURIComponent(next) }, "请重新登录"));
      box.appendChild(auth);
    }
    if (c.invalid || c.conflict) {
      var fix = el("p", { "class": "outbox-fix error" });
      if (c.invalid) fix.appendChild(el("span", {}, c.invalid + " 条记录需要修改 "));
      if (c.conflict) fix.appendChild(el("span", {}, c.conflict + " 条记录与已保存的记录冲突 "));
      fix.appendChild(el("a", { href: "/survey/today#today-list" }, "去处理"));
      box.appendChild(fix);
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

  function renderToday() {
    var list = document.getElementById("today-list");
    if (!list) return;
    var waiting = {};
    state.entries.forEach(function (entry) {
      waiting[entry.client_uuid] = entry;
      var item = list.querySelector('li.record[data-client-uuid="' + entry.client_uuid + '"]');
      if (!item) {
        item = el("li", { "class": "record outbox-record", "data-client-uuid": entry.client_uuid });
        item.appendChild(el("span", { "class": "time" }, String(entry.body.visited_at || "").slice(11, 16)));
        item.appendChild(el("span", { "class": "addr" }, (entry.body.unit && entry.body.unit.address) || ""));
        item.appendChild(el("span", { "class": "badge " + entry.body.outcome }, OUTCOMES[entry.body.outcome] || ""));
        list.insertBefore(item, list.firstChild);
      }
      var mark = item.querySelector(".outbox-mark") || item.appendChild(el("span"));
      var text = { pending: "待同步", invalid: "需修改", conflict: "冲突" }[entry.status] || "待同步";
      mark.className = "badge outbox-mark outbox-" + entry.status;
      mark.textContent = text;
      var old = item.querySelector(".outbox-fix-form, .outbox-conflict");
      if (old) old.remove();
      if (entry.status === "invalid") item.appendChild(fixForm(entry));
      if (entry.status === "conflict") {
        item.appendChild(el("p", { "class": "field-error outbox-conflict" },
          "这个记录编号已保存了内容不同的另一条记录，请在已保存的记录上点“更正”。"));
      }
    });
    Array.prototype.forEach.call(list.querySelectorAll("li.record .outbox-mark"), function (mark) {
      var item = mark.closest("li.record");
      if (!waiting[item.dataset.clientUuid] && mark.textContent !== "已同步") mark.remove();
    });
  }

  function markSynced(entry, stored) {
    var item = document.querySelector('#today-list li.record[data-client-uuid="' + entry.client_uuid + '"]');
    if (item) {
      var mark = item.querySelector(".outbox-mark") || item.appendChild(el("span"));
      mark.className = "badge outbox-mark outbox-synced";
      mark.textContent = "已同步";
      if (!item.querySelector("a")) item.appendChild(el("a", { href: "/survey/records/" + stored.id }, "查看"));
    }
    markUnitRows();
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
        badge.dataset.outboxState = entry.body.outcome;
        badge.className = "badge " + entry.body.outcome + " outbox-pending";
        badge.textContent = (OUTCOMES[entry.body.outcome] || "") + " · 待同步";
      } else if (badge.dataset.outboxState) {
        badge.className = "badge " + badge.dataset.outboxState;
        badge.textContent = OUTCOMES[badge.dataset.outboxState] || "";
        delete badge.dataset.outboxState;
      }
    });
  }

  function refresh() {
    return outbox.all().then(function (entries) {
      state.entries = entries.sort(function (a, b) { return a.created_at - b.created_at; });
    }, function () { state.entries = []; }).then(function () {
      renderStatus();
      renderToday();
      markUnitRows();
    });
  }

  // --- saving a survey form in the outbox ------------------------------------------------------------

  function showFieldErrors(form, errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (p) { p.textContent = ""; });
    var unplaced = [];
    Object.keys(errors).forEach(function (path) {
      var target = document.getElementById("err-" + path.replace(/\./g, "-"));
      if (target && form.contains(target)) target.textContent = errors[path];
      else unplaced.push(labelFor(path) + "：" + errors[path]);
    });
    var alert = form.querySelector(".outbox-form-error") || form.insertBefore(
      el("p", { "class": "error outbox-form-error", role: "alert" }), form.firstChild);
    alert.textContent = "记录有误，请按红字提示修改后再保存。" + unplaced.join("；");
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
    var hidden = form.querySelector('[name="client_uuid"]');
    if (!body.client_uuid || usedUuids().indexOf(body.client_uuid) !== -1) body.client_uuid = newUuid();
    body.visited_at = shanghaiNow();
    markUsed(body.client_uuid);
    if (hidden) hidden.value = newUuid(); // the next tap on this form is another visit
    var entry = { client_uuid: body.client_uuid, body: body, status: "pending", attempts: 0, next_try: 0,
                  errors: null, created_at: Date.now() };
    return outbox.put(entry).then(function () { return refresh(); }).then(function () { return entry; });
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
      return sendEntry(entry).then(function (outcome) {
        delete form.dataset.outboxBusy;
        if (outcome.result === "ok") {
          sessionStorage.setItem("paimo.flash", "已保存：" + entry.body.unit.address);
          location.assign("/survey/records/" + outcome.json.id);
        } else if (outcome.result === "invalid") {
          // The worker is still on the form: fix it here; the form keeps the values, the outbox lets go.
          return outbox.remove(entry.client_uuid).then(refresh).then(function () {
            showFieldErrors(form, outcome.json.errors);
          });
        } else {
          sessionStorage.setItem("paimo.flash", "已保存在手机上（待同步），联网后会自动上传：" + entry.body.unit.address);
          location.assign(backTarget());
        }
      });
    }, function () {
      delete form.dataset.outboxBusy;
      alert("无法在手机上保存记录（浏览器存储不可用），请联网后提交。");
    });
  }

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
      var links = document.querySelectorAll('a[href^="/survey/units/"][href$="/record"]');
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
    refresh().then(function () { flush(true); });
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
