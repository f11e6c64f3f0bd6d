/* The upload page: drop or pick files, post them with the session's CSRF token, show what each file
   gave, then follow the analysis job (GET /jobs/<id>.json) until it is done and list the analysed
   documents. Without JavaScript the form posts normally and the server renders the same page. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.fetch || !window.FormData || !window.Voc) return;
  var input = document.getElementById("upload-files");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("upload-chosen");
  var button = document.getElementById("upload-submit");
  var results = document.getElementById("upload-results");
  var list = document.getElementById("upload-file-results");
  var summary = document.getElementById("upload-summary");
  var jobBox = document.getElementById("upload-job");
  var bar = document.getElementById("job-progress");
  var statusLine = document.getElementById("job-status");
  var docsBox = document.getElementById("job-documents");
  var links = document.getElementById("job-links");
  var dropped = null;  // files dropped where a file input cannot take them
  var polling = 0;     // bumps on each new upload, so an older poll stops

  function node(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function signed(v) { return (v > 0 ? "+" : "") + v.toFixed(2); }

  function showChosen(files) {
    var names = Array.prototype.map.call(files || [], function (f) { return f.name; });
    chosen.textContent = names.length ? plural(names.length, "file") + " chosen: " + names.join(", ") : "";
  }
  input.addEventListener("change", function () { dropped = null; showChosen(input.files); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "dragend", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (ev) {
    ev.preventDefault();
    var files = ev.dataTransfer && ev.dataTransfer.files;
    if (!files || !files.length) return;
    try { input.files = files; dropped = null; } catch (err) { dropped = files; }
    showChosen(files);
  });

  function fileResult(r, rejected) {
    var li = node("li", {"class": "result " + r.status, "data-status": r.status});
    li.appendChild(node("strong", {"class": "name"}, r.file));
    li.appendChild(document.createTextNode(" "));
    var badge = {ingested: ["positive", "ingested"], duplicate: ["", "duplicate"], partial: ["", "partly ingested"],
                 rejected: ["negative", "rejected"]}[r.status] || ["", r.status];
    li.appendChild(node("span", {"class": "badge " + badge[0]}, badge[1]));
    var kind = r.kind ? " (" + r.kind + ")" : "", text;
    if (r.status === "ingested") {
      text = plural(r.accepted, "document") + kind + (r.duplicates ? ", " + r.duplicates + " already stored" : "");
    } else if (r.status === "duplicate") {
      text = r.error || "already stored";
    } else if (r.status === "partial") {
      text = plural(r.accepted, "document") + kind + ", " + plural(r.rejected, "row") + " rejected and kept in quarantine:";
    } else {
      text = (r.error || "rejected");
    }
    li.appendChild(document.createTextNode(" " + text));
    if (r.status === "rejected") li.appendChild(node("small", {}, " (kept in quarantine)"));
    if (r.status === "partial") {
      var ul = node("ul");
      rejected.filter(function (p) { return p.file === r.file && p.item; }).forEach(function (p) {
        ul.appendChild(node("li", {}, p.item + ": " + p.error));
      });
      li.appendChild(ul);
    }
    return li;
  }

  function showResult(result) {
    list.innerHTML = "";
    result.files.forEach(function (r) { list.appendChild(fileResult(r, result.rejected || [])); });
    summary.textContent = plural(result.accepted, "document") + " stored, " + result.duplicates + " already stored, " +
      (result.rejected || []).length + " rejected.";
    results.hidden = false;
  }

  function setJob(job) {
    jobBox.hidden = false;
    if (job.status === "queued") {
      bar.removeAttribute("value");  // indeterminate until the worker starts
      statusLine.textContent = "Queued: waiting for the analysis worker.";
    } else if (job.status === "running") {
      bar.value = Math.round((job.progress || 0) * 100);
      statusLine.textContent = job.total ? "Analysing: " + job.done + " of " + plural(job.total, "document") + "."
        : "Analysing: loading the models…";
    } else if (job.status === "done") {
      bar.value = 100;
      var r = job.result || {};
      statusLine.textContent = "Done: " + (typeof r.analysed === "number" ? plural(r.analysed, "document") + " analysed" +
        (r.sentences ? " (" + plural(r.sentences, "sentence") + ")" : "") + (r.failed ? ", " + r.failed + " failed" : "") + "."
        : "the analysis finished.");
      if (r.summary) {
        var more = node("details", {id: "job-summary"});
        more.appendChild(node("summary", {}, "What the analysis did"));
        more.appendChild(node("p", {}, r.summary));
        docsBox.parentNode.insertBefore(more, docsBox);
      }
    } else {
      bar.value = 0;
      statusLine.textContent = "The analysis failed: " + (job.error || "no reason given");
    }
  }

  function showDocuments(batch) {
    docsBox.innerHTML = "";
    if (!batch.documents.length) return;
    docsBox.appendChild(node("h3", {}, "Analysed documents"));
    var ul = node("ul", {"class": "results"});
    batch.documents.forEach(function (d) {
      var li = node("li");
      li.appendChild(node("strong", {}, d.title || d.external_id || d.id));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(node("small", {}, d.kind));
      var shifted = d.sentiment_shift !== null && d.sentiment_shift !== undefined;
      if (d.sentiment_label && !shifted) {  // a conversation is told by its shift instead
        li.appendChild(document.createTextNode(" overall "));
        li.appendChild(node("span", {"class": "badge " + d.sentiment_label}, d.sentiment_label));
      }
      if (shifted) {
        li.appendChild(document.createTextNode(" · customer " + d.sentiment_start.toFixed(2) + " → " +
          d.sentiment_end.toFixed(2) + " (" + signed(d.sentiment_shift) + ")"));
      } else if (d.status === "new") {
        li.appendChild(document.createTextNode(" · waiting for analysis"));
      }
      (d.links || []).forEach(function (l) {
        li.appendChild(document.createTextNode(" · "));
        li.appendChild(node("a", {href: l.href}, l.label));
      });
      ul.appendChild(li);
    });
    docsBox.appendChild(ul);
    if (batch.total > batch.documents.length) {
      docsBox.appendChild(node("p", {"class": "muted"}, "… and " + (batch.total - batch.documents.length) + " more."));
    }
  }

  function track(jobId, batchId) {
    var mine = ++polling, delay = 800, started = Date.now();
    jobBox.setAttribute("data-job-id", jobId);
    links.hidden = true;
    docsBox.innerHTML = "";
    var old = document.getElementById("job-summary");
    if (old) old.remove();
    function poll() {
      if (mine !== polling) return;
      Voc.getJSON(jobBox.getAttribute("data-job-url").replace("JOB", encodeURIComponent(jobId))).then(function (job) {
        setJob(job);
        if (job.status === "done" || job.status === "failed") {
          if (job.status === "done") links.hidden = false;
          if (batchId) {
            return Voc.getJSON(jobBox.getAttribute("data-batch-url").replace("BATCH", encodeURIComponent(batchId)))
              .then(showDocuments);
          }
          return null;
        }
        delay = Math.min(3000, delay * 1.25);
        if (Date.now() - started < 60 * 60 * 1000) setTimeout(poll, delay);
        return null;
      }).catch(function (err) {
        statusLine.textContent = "Cannot read the job's progress (" + err.message + "); retrying…";
        delay = Math.min(10000, delay * 2);
        setTimeout(poll, delay);
      });
    }
    poll();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var data = new FormData(form);
    if (dropped) {
      data.delete("file");
      Array.prototype.forEach.call(dropped, function (f) { data.append("file", f, f.name); });
    }
    var some = data.getAll("file").some(function (f) { return f && f.name; });
    var error = document.getElementById("upload-error");
    if (error) error.remove();
    if (!some) {
      chosen.textContent = "Choose or drop at least one file first.";
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = "Uploading…";
    Voc.send(form.getAttribute("action"), {body: data}).then(function (result) {
      showResult(result);
      form.reset();
      dropped = null;
      chosen.textContent = "";
      if (result.job_id) track(result.job_id, result.batch_id);
    }).catch(function (err) {
      var p = node("p", {"class": "problem", role: "alert", id: "upload-error"}, err.message);
      form.parentNode.insertBefore(p, form);
    }).then(function () {
      button.disabled = false;
      button.textContent = "Upload and analyse";
    });
  });

  // a page rendered after a plain form post (or ?job=) follows its job too
  var jobId = jobBox.getAttribute("data-job-id");
  if (jobId) track(jobId, jobBox.getAttribute("data-batch-id"));
})();
