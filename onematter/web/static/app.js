// The staff page's few live parts, in plain JS: the form's draft and lookup, the case's progress,
// the packet's print dialog. No build step, nothing fetched from outside.
(function () {
  "use strict";
  var DRAFT = "onematter-draft";
  var SENT = "onematter-sent";        // the form as accepted: {no, data}, for Back

  function csrf() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // ---- the one form
  var form = document.getElementById("intake-form");
  if (form) {
    var hasErrors = document.querySelector("[data-error-for]") !== null;
    var toggle = function () {
      var ticked = ["all"];
      form.querySelectorAll("input[data-matter]").forEach(function (box) {
        var fields = form.querySelector('[data-fields-for="' + box.dataset.matter + '"]');
        if (fields) fields.hidden = !box.checked;
        if (box.checked) ticked.push(box.dataset.matter);
      });
      // the checklist follows the ticked matters: a material no chosen matter needs is hidden,
      // and its files are not sent
      form.querySelectorAll("[data-material]").forEach(function (row) {
        var needed = row.dataset.neededBy.split(" ").some(function (k) { return ticked.indexOf(k) >= 0; });
        row.hidden = !needed;
        row.querySelectorAll("input[type=file]").forEach(function (input) { input.disabled = !needed; });
      });
    };
    // what was typed survives an expired session or a reload (this tab only; cleared once accepted)
    var save = function () {
      var data = {};
      new FormData(form).forEach(function (v, k) {
        if (k === "csrf_token" || typeof v !== "string") return;     // scans stay out of storage
        (data[k] = data[k] || []).push(v);
      });
      sessionStorage.setItem(DRAFT, JSON.stringify(data));
    };
    var fill = function (data) {
      Object.keys(data).forEach(function (k) {
        form.querySelectorAll('[name="' + k + '"]').forEach(function (el) {
          if (el.type === "file") return;
          if (el.type === "checkbox" || el.type === "radio") el.checked = data[k].indexOf(el.value) >= 0;
          else if (el.type !== "hidden" || k === "idempotency_key") el.value = data[k][0];
        });
      });
    };
    // a draft left in this tab is never filled in silently: 新建 starts empty and offers it, naming
    // whose it is; a reload or Back restores it and says so; either way 清空 discards it
    var notice = function (data, restored) {
      var name = ((data["applicant.name"] || [""])[0] || "").trim();
      var box = document.createElement("div");
      box.className = "alert draft";
      box.id = "draft-notice";
      box.setAttribute("role", "status");
      var text = document.createElement("span");
      text.textContent = (restored ? "已恢复本页未提交的草稿" : "本页有一份未提交的草稿") +
        (name ? "（申请人 " + name.charAt(0) + "**）" : "") + "。";
      box.appendChild(text);
      if (!restored) {
        var use = document.createElement("button");
        use.type = "button";
        use.id = "draft-restore";
        use.textContent = "恢复草稿";
        use.addEventListener("click", function () { fill(data); toggle(); box.remove(); later(); });
        box.appendChild(use);
      }
      var clear = document.createElement("button");
      clear.type = "button";
      clear.id = "draft-clear";
      clear.textContent = "清空";
      clear.addEventListener("click", function () {
        sessionStorage.removeItem(DRAFT);
        sessionStorage.removeItem(SENT);
        form.reset();
        toggle();
        box.remove();
      });
      box.appendChild(clear);
      form.parentNode.insertBefore(box, form);
    };
    var restore = function () {
      // Back from the application this form made: the form as it was sent, its key with it, so
      // submitting again opens the same application
      var sent = sessionStorage.getItem(SENT);
      var nav0 = (performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || {};
      if (sent && !hasErrors && nav0.type === "back_forward") {
        var was = JSON.parse(sent);
        fill(was.data);
        var box = document.createElement("div");
        box.className = "alert draft";
        box.id = "submitted-notice";
        box.setAttribute("role", "status");
        var text = document.createElement("span");
        text.textContent = "本表已提交，申请编号 ";
        var link = document.createElement("a");
        link.href = "/applications/" + was.no;
        link.textContent = was.no;
        box.appendChild(text);
        box.appendChild(link);
        box.appendChild(document.createTextNode("。再次提交仍是同一申请；接待下一位申请人请点“新建联办申请”。"));
        form.parentNode.insertBefore(box, form);
        return;
      }
      sessionStorage.removeItem(SENT);
      var raw = sessionStorage.getItem(DRAFT);
      if (!raw || hasErrors || document.getElementById("refusal-warning") || document.getElementById("done-today")) return;
      var data = JSON.parse(raw);
      var nav = (performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || {};
      var again = nav.type === "reload" || nav.type === "back_forward";
      if (again) fill(data);
      notice(data, again);
    };
    toggle();
    form.addEventListener("change", function () { toggle(); save(); });
    form.addEventListener("input", save);
    form.addEventListener("submit", function (e) {
      save();
      if (e.submitter && e.submitter.id === "print-form") return;     // 待签字: a new tab, the form stays
      var button = document.getElementById("submit-intake");
      button.disabled = true;
      button.textContent = "正在提交…";
    });
    // 预审: what each chosen matter's rules will decide, and its materials, as the form is filled
    var list = document.getElementById("precheck-list");
    var timer = null;
    var precheck = function () {
      var body = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (k !== "csrf_token" && typeof v === "string") body.append(k, v); });
      fetch("/applications/precheck", {method: "POST", credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf()}, body: body})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (result) {
          if (!result || !list) return;
          list.textContent = "";
          var keys = Object.keys(result.matters || {});
          if (result.open_application) {
            var li = document.createElement("li");
            li.className = "refused";
            li.textContent = "该申请人已有一件未办结的联办申请 " + result.open_application + "，办结后才能再次申请。";
            list.appendChild(li);
            return;
          }
          if (!keys.length) {
            var wait = document.createElement("li");
            wait.className = "muted";
            wait.textContent = "选择事项并填写完整后，在此显示各事项的预审结果和所需材料。";
            list.appendChild(wait);
            return;
          }
          keys.forEach(function (k) {
            var m = result.matters[k];
            var box = form.querySelector('input[data-matter="' + k + '"]');
            var title = box && box.closest("label") ? box.closest("label").textContent.trim() : k;
            var li = document.createElement("li");
            li.className = m.outcome;
            li.setAttribute("data-precheck", k);
            var head = document.createElement("strong");
            head.textContent = title + "：";
            li.appendChild(head);
            li.appendChild(document.createTextNode(m.text));
            var need = document.createElement("small");
            need.textContent = "所需材料：" + m.materials.join("、");
            li.appendChild(document.createElement("br"));
            li.appendChild(need);
            list.appendChild(li);
          });
        })
        .catch(function () { /* the form still submits; the server checks again */ });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(precheck, 500); };
    form.addEventListener("change", later);
    form.addEventListener("input", later);
    restore();
    toggle();
    if (form.querySelector("input[data-matter]:checked")) later();
    var id = form.querySelector("[data-lookup]");
    var looked = "";
    id.addEventListener("input", function () {
      var value = id.value.trim().toUpperCase();
      if (value.length !== 18 || value === looked) return;
      looked = value;
      fetch("/persons/lookup", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
        body: JSON.stringify({id_number: value})})
        .then(function (r) { return r.ok ? r.json() : {found: false}; })
        .then(function (answer) {
          if (!answer.found) return;
          var a = answer.applicant;
          ["name", "mobile", "discharge_date", "category", "placement", "education", "town"].forEach(function (k) {
            var el = form.querySelector('[name="applicant.' + k + '"]');
            if (el && !el.value && a[k]) el.value = a[k];
          });
          var it = a.intentions || {};
          var cats = form.querySelector('[name="applicant.intentions.categories"]');
          if (cats && !cats.value && it.categories) cats.value = it.categories.join("、");
          var salary = form.querySelector('[name="applicant.intentions.min_salary"]');
          if (salary && !salary.value && it.min_salary != null) salary.value = it.min_salary;
          (it.towns || []).forEach(function (t) {
            var box = form.querySelector('[name="applicant.intentions.towns"][value="' + t + '"]');
            if (box) box.checked = true;
          });
          var note = document.createElement("small");
          note.className = "prefilled";
          note.textContent = "已带出该申请人上次填写的信息，请核对";
          id.parentNode.appendChild(note);
          save();
        });
    });
  }

  // ---- an application: its matters settle while the veteran waits
  var box = document.getElementById("case");
  if (box) {
    var accepted = sessionStorage.getItem(DRAFT);      // the form was accepted: kept for Back only
    if (accepted) sessionStorage.setItem(SENT, JSON.stringify({no: box.dataset.no, data: JSON.parse(accepted)}));
    sessionStorage.removeItem(DRAFT);
    var no = box.dataset.no;
    var render = function (p) {
      document.getElementById("app-status").textContent = p.status_label;
      p.matters.forEach(function (m) {
        var row = document.querySelector('#matters tr[data-matter="' + m.matter + '"]');
        if (!row) return;
        var cell = row.querySelector(".status");
        cell.textContent = m.label;
        cell.dataset.status = m.status;
        var reason = row.querySelector(".reason");
        reason.textContent = "";
        var facts = document.createElement("ul");
        facts.className = "facts";
        (m.facts || []).forEach(function (line) {
          var li = document.createElement("li"); li.textContent = line; facts.appendChild(li);
        });
        reason.appendChild(facts);
        reason.appendChild(document.createTextNode(m.reason));
        if (m.decided) {
          reason.appendChild(document.createElement("br"));
          var small = document.createElement("small"); small.textContent = "审核：" + m.decided; reason.appendChild(small);
        }
        row.querySelector(".left").textContent = m.open ? (m.overdue ? "已超期" : m.left) : "—";
        var d = m.deadline;
        row.querySelector(".deadline").textContent = m.deadline_starts ||
          (d.slice(0, 4) + "年" + parseInt(d.slice(5, 7), 10) + "月" + parseInt(d.slice(8, 10), 10) + "日");
      });
      var list = document.getElementById("documents");
      list.innerHTML = "";
      p.documents.forEach(function (d) {
        var li = document.createElement("li");
        var t = document.createElement("span"); t.textContent = d.title; li.appendChild(t);
        li.appendChild(document.createTextNode(" "));
        if (d.disposed) {              // retention archived or deleted it: listed, not linked
          var gone = document.createElement("span"); gone.className = "muted"; gone.textContent = d.disposed;
          li.appendChild(gone); list.appendChild(li); return;
        }
        [["打开", d.url, true], ["打印", d.url, true], ["下载", d.url + "?download=1", false]].forEach(function (l, i) {
          if (i) li.appendChild(document.createTextNode(" · "));
          var a = document.createElement("a"); a.href = l[1]; a.textContent = l[0];
          if (l[2]) a.target = "_blank";
          li.appendChild(a);
        });
        list.appendChild(li);
      });
      var packet = document.getElementById("packet-box");
      if (p.packet && !document.getElementById("packet-link")) {
        packet.innerHTML = "";
        var para = document.createElement("p");
        var a = document.createElement("a");
        a.id = "packet-link"; a.className = "button"; a.target = "_blank";
        a.href = "/applications/" + no + "/print"; a.textContent = "打印" + p.packet.title;
        para.appendChild(a);
        packet.appendChild(para);
      }
      document.getElementById("stuck").hidden = !p.stuck;
      var body = document.querySelector("#timeline tbody");
      body.innerHTML = "";
      p.timeline.forEach(function (e) {
        var tr = document.createElement("tr");
        if (e.comment) tr.className = "comment";
        [e.at, e.who, (e.comment ? "备注 " : "") + e.what].forEach(function (v) { var td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
        body.appendChild(tr);
      });
      var run = document.getElementById("run-link");
      if (p.run_url) { run.href = p.run_url; run.hidden = false; }
    };
    var poll = function () {
      fetch("/applications/" + encodeURIComponent(no) + "/progress", {credentials: "same-origin"})
        .then(function (r) {
          if (r.status === 303 || r.redirected) { window.location = "/login?next=" + encodeURIComponent(location.pathname); return null; }
          return r.ok ? r.json() : null;
        })
        .then(function (p) {
          if (p) render(p);
          if (!p || !p.done) setTimeout(poll, 300);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    if (box.dataset.done !== "true") setTimeout(poll, 200);
  }

  // ---- the packet opens ready to print
  var frame = document.getElementById("packet-frame");
  if (frame) {
    var printIt = function () { try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { window.print(); } };
    frame.addEventListener("load", function () { setTimeout(printIt, 300); });
    document.getElementById("print-now").addEventListener("click", printIt);
  }
  var record = document.getElementById("print-record");      // 个人信息查阅记录: the page itself
  if (record) record.addEventListener("click", function () { window.print(); });
})();

// The form's error summary: each error names its field (the field's label) and links to it; the
// summary takes focus, so a screen reader reads it and Tab goes on to the first link.
(function () {
  var summary = document.getElementById("error-summary");
  if (!summary) return;
  summary.querySelectorAll("a[data-field]").forEach(function (a) {
    var key = a.getAttribute("data-field");
    var field = document.getElementById(key) || document.querySelector('[name="' + key + '"]');
    var label = field && field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    if (label) a.textContent = label.textContent.trim() + "：" + a.textContent;
    a.addEventListener("click", function (e) {
      if (!field) return;
      e.preventDefault();
      field.scrollIntoView({block: "center"});
      field.focus();
    });
  });
  summary.focus();
})();
