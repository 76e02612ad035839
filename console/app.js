// The admin console: sign in, import (upload, mapping and value review, preview, confirm), history with
// rollback, export, tenant settings. Vanilla ES modules, no build step, nothing fetched but the API and S3.

import { Api, ApiError, loadConfig, signIn, sleep, upload } from "./api.js";
import {
  FIELDS, LANGUAGES, LANGUAGE_NAMES, fieldLabel, language, languageOf, number, percent, setLanguage, status as said, t,
  time,
} from "./i18n.js";

const FINAL = new Set(["completed", "rejected", "failed", "cancelled", "expired", "rolled_back"]);
const EXPORT_COLUMNS = FIELDS;

const state = { config: null, api: null, who: null, settings: null, etag: null, view: "import", wizard: null };
const main = () => document.getElementById("main");

// ---- small DOM helpers --------------------------------------------------------------------------------------

/** An element: h("button", {type: "button", onclick}, "text", child...). */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let fieldCounter = 0;
/** A labelled control: <div class=field><label for=id>text</label>control</div>. */
function labelled(text, control) {
  control.id ||= `f${++fieldCounter}`;
  return h("div", { class: "field" }, h("label", { for: control.id }, text), control);
}

function announce(text) {
  const live = document.getElementById("live");
  live.textContent = text;
}

/** Replace what main shows; focus moves to its heading when the focused control went away with it. */
function show(...sections) {
  main().replaceChildren(...sections);
  const heading = main().querySelector("h2");
  if (heading && !document.body.contains(document.activeElement === document.body ? null : document.activeElement)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

function card(title, ...children) {
  return h("section", { class: "card", "aria-labelledby": `h-${title.length}-${++fieldCounter}` },
    h("h2", { id: `h-${title.length}-${fieldCounter}` }, title), ...children);
}

function failure(error) {
  const reason = error instanceof ApiError ? error.message : String(error?.message || error);
  announce(t("error", { reason }));
  return h("p", { class: "error", role: "alert" }, t("error", { reason }));
}

function counts(items) {
  return h("ul", { class: "counts" },
    items.filter(([, value]) => value !== undefined && value !== null)
      .map(([key, value]) => h("li", { dataset: { count: key } }, h("strong", {}, number(value)), t(`c_${key}`))));
}

function links(pairs) {
  const present = pairs.filter(([, url]) => url);
  if (!present.length) return null;
  return h("div", { class: "links" }, present.map(([text, url]) => h("a", { href: url, class: "button secondary",
    download: "" }, text)));
}

// ---- frame: language, navigation -----------------------------------------------------------------------------

function renderFrame() {
  document.title = t("title");
  document.getElementById("title").textContent = t("title");
  document.getElementById("language-label").textContent = t("language");
  const select = document.getElementById("language");
  const offered = state.config?.languages || LANGUAGES;
  select.replaceChildren(...offered.map((code) => h("option", { value: code, selected: code === language() },
    LANGUAGE_NAMES[code] || code)));
  const nav = document.getElementById("nav");
  nav.setAttribute("aria-label", t("nav"));
  for (const button of nav.querySelectorAll("button")) {
    button.textContent = t(`tab_${button.dataset.view}`);
    if (button.dataset.view === state.view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (state.who) document.getElementById("who").textContent = t("signed_in", state.who);
}

function go(view) {
  state.view = view;
  announce("");
  renderFrame();
  ({ import: importView, history: historyView, export: exportView, settings: settingsView })[view]();
  if (!main().contains(document.activeElement)) main().focus();
}

// ---- import wizard ---------------------------------------------------------------------------------------------

function importView() {
  const wizard = state.wizard;
  if (wizard?.render) return wizard.render();
  const input = h("input", { type: "file", accept: ".xlsx,.xls,.csv", name: "file" });
  const start = h("button", { type: "submit" }, t("start_import"));
  const form = h("form", { onsubmit: (event) => { event.preventDefault(); if (input.files[0]) startImport(input.files[0]); } },
    labelled(t("choose_file"), input), h("div", { class: "actions" }, start));
  show(card(t("tab_import"), form));
}

function setStep(render) {
  state.wizard = { ...(state.wizard || {}), render };
  if (state.view === "import") render();
}

async function pollImport(jobId, until, onStatus) {
  let interval = 250;
  for (;;) {
    const status = await state.api.get(`/imports/${jobId}`);
    onStatus?.(status);
    if (until.has(status.status) || FINAL.has(status.status)) return status;
    await sleep(interval);
    interval = Math.min(interval * 1.4, 1000);
  }
}

async function startImport(file) {
  const bar = h("progress", { max: 100, value: 0, id: "upload-progress", "aria-label": t("upload_progress") });
  const line = h("p", { id: "upload-percent" }, percent(0));
  const step = h("p", {}, t("uploading", { file: file.name }));
  state.wizard = { file: file.name };
  setStep(() => show(card(t("tab_import"), step, bar, line)));
  try {
    const created = await state.api.post("/imports", { file_name: file.name, options: { review_mapping: true } });
    state.wizard.jobId = created.job_id;
    let announced = -1;
    await upload(created.upload, file, (value) => {
      bar.value = value;
      line.textContent = percent(value);
      if (value === 100 || value - announced >= 25) {
        announced = value;
        announce(`${t("upload_progress")}: ${percent(value)}`);
      }
    });
    step.textContent = t("uploaded");
    announce(t("uploaded"));
    const status = await pollImport(created.job_id, new Set(["mapped", "previewed"]), (s) => {
      step.textContent = t("reading", { status: said(s.status) });
    });
    if (status.status !== "mapped") return showResult(status);
    await showMapping(created.job_id);
  } catch (error) {
    setStep(() => show(card(t("tab_import"), failure(error), newImportButton())));
  }
}

function newImportButton() {
  return h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => {
    state.wizard = null;
    importView();
  } }, t("new_import")));
}

async function showMapping(jobId) {
  const review = await state.api.get(`/imports/${jobId}/mapping`);
  const fieldSelects = new Map(); // header -> select
  const valueSelects = []; // {header, value, select}
  const fieldOptions = review.fields || [];
  state.labels = Object.fromEntries(fieldOptions.map((option) => [option.name, option.label || option.name]));
  const allowedOf = (fieldName) => fieldOptions.find((option) => option.name === fieldName)?.allowed || null;

  const rows = review.columns.map((column) => {
    const chosen = column.field ?? (column.matched_by === "suggested" ? column.suggestion : null);
    const select = h("select", { "aria-label": t("field_for", { header: column.header }), dataset: { header: column.header } },
      h("option", { value: "" }, t("not_imported")),
      fieldOptions.map((option) => h("option", { value: option.name, selected: option.name === chosen },
        option.label || option.name)));
    fieldSelects.set(column.header, select);
    const confidence = column.matched_by === "none" ? "—" : `${percent(Math.round(column.confidence * 100))} (${t(`by_${column.matched_by}`)})`;
    return h("tr", {},
      h("td", { "data-label": t("column") }, h("strong", {}, column.header)),
      h("td", { "data-label": t("field") }, select),
      h("td", { "data-label": t("confidence") }, confidence),
      h("td", { "data-label": t("samples"), class: "samples" }, (column.samples || []).slice(0, 4).join(" · ")));
  });
  const table = h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "mapping-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("column")), h("th", { scope: "col" }, t("field")),
      h("th", { scope: "col" }, t("confidence")), h("th", { scope: "col" }, t("samples")))),
    h("tbody", {}, rows)));

  const valueTables = review.columns.filter((column) => column.values?.length).map((column) => {
    const allowed = column.allowed || allowedOf(column.field) || [];
    const body = column.values.map((value) => {
      const select = h("select", { "aria-label": t("value_for", { value: value.value, header: column.header }),
        dataset: { header: column.header, value: value.value } },
        h("option", { value: "" }, t("keep_value")),
        allowed.map((choice) => h("option", { value: choice,
          selected: choice === value.maps_to || (value.accepted && choice === value.value) }, choice)));
      valueSelects.push({ header: column.header, value: value.value, select });
      return h("tr", { class: value.accepted ? "" : "unaccepted" },
        h("td", { "data-label": t("value_in_file") }, h("strong", {}, value.value)),
        h("td", { "data-label": t("rows") }, number(value.rows)),
        h("td", { "data-label": t("maps_to") }, select));
    });
    return h("div", {}, h("h3", {}, t("values_title", { header: column.header })),
      h("div", { class: "table-wrap" }, h("table", { class: "stack values", dataset: { header: column.header } },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("value_in_file")), h("th", { scope: "col" }, t("rows")),
          h("th", { scope: "col" }, t("maps_to")))),
        h("tbody", {}, body))));
  });

  const error = h("div", {});
  const previewButton = h("button", { type: "button", id: "preview", onclick: async () => {
    previewButton.disabled = true;
    const mapping = {};
    for (const [header, select] of fieldSelects) mapping[header] = select.value || null;
    const values = {};
    for (const { header, value, select } of valueSelects) {
      const field = mapping[header];
      if (!field || !select.value || select.value === value) continue;
      (values[field] ||= {})[value] = select.value;
    }
    try {
      await state.api.put(`/imports/${jobId}/mapping`, { mapping, values, preview: true });
      await waitForPreview(jobId);
    } catch (problem) {
      previewButton.disabled = false;
      error.replaceChildren(failure(problem));
    }
  } }, t("preview"));
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => cancelImport(jobId) }, t("cancel"));
  setStep(() => show(card(t("mapping_title"),
    h("p", {}, t("mapping_intro", { rows: number(review.rows_total), file: review.file_name })),
    table, valueTables, error, h("div", { class: "actions" }, previewButton, cancel))));
  announce(t("mapping_title"));
}

async function cancelImport(jobId) {
  try {
    await state.api.post(`/imports/${jobId}/cancel`);
    announce(t("cancelled"));
    setStep(() => show(card(t("tab_import"), h("p", {}, t("cancelled")), newImportButton())));
  } catch (error) {
    announce(t("error", { reason: error.message }));
  }
}

async function waitForPreview(jobId) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("previewing", { percent: "" }) });
  const line = h("p", {}, t("previewing", { percent: percent(0) }));
  setStep(() => show(card(t("preview"), line, bar)));
  const status = await pollImport(jobId, new Set(["previewed"]), (s) => {
    bar.value = s.percent || 0;
    line.textContent = t("previewing", { percent: percent(s.percent || 0) });
  });
  if (status.status !== "previewed") return showResult(status);
  await showPreview(status);
}

async function showPreview(status) {
  const jobId = status.job_id;
  const preview = status.preview || {};
  const tableHolder = h("div", { id: "preview-rows" });
  const more = h("div", { class: "actions" });
  let headers = null;
  let body = null;
  const loadRows = async (cursor) => {
    let page;
    try {
      page = await state.api.get(`/imports/${jobId}/rows`, { phase: "preview", cursor, limit: 100 });
    } catch (error) {
      if (error.status === 404 || error.status === 405) {
        tableHolder.replaceChildren(h("p", { class: "muted" }, t("rows_unavailable")));
        return;
      }
      throw error;
    }
    if (!body) {
      headers = page.headers || [];
      body = h("tbody", {});
      tableHolder.replaceChildren(h("div", { class: "table-wrap" }, h("table", { id: "preview-table", class: "stack" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("row")), h("th", { scope: "col" }, t("status")),
          headers.map((header) => h("th", { scope: "col" }, header)), h("th", { scope: "col" }, t("details")))),
        body)));
    }
    const fields = page.fields || [];
    for (const row of page.rows) body.append(previewRow(row, headers, fields));
    more.replaceChildren();
    if (page.next_cursor !== null && page.next_cursor !== undefined) {
      more.append(h("button", { type: "button", class: "secondary", onclick: () => loadRows(page.next_cursor) },
        t("more_rows")));
    }
  };
  const confirm = h("button", { type: "button", id: "confirm", onclick: async () => {
    confirm.disabled = true;
    try {
      await state.api.post(`/imports/${jobId}/confirm`);
      await waitForApply(jobId);
    } catch (error) {
      confirm.disabled = false;
      announce(t("error", { reason: error.message }));
    }
  } }, t("confirm"));
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => cancelImport(jobId) }, t("cancel"));
  setStep(() => show(card(t("preview_title"),
    h("p", {}, status.file_name),
    counts([["rows_total", status.rows_total], ["new", preview.new], ["changed", preview.changed],
      ["unchanged", preview.unchanged], ["skipped", preview.skipped], ["stale", preview.stale],
      ["invalid", preview.invalid], ["warnings", preview.warnings]]),
    links([[t("dl_diff"), preview.diff_report_url]]),
    tableHolder, more, h("div", { class: "actions" }, confirm, cancel))));
  announce(t("preview_title"));
  try {
    await loadRows(0);
  } catch (error) {
    tableHolder.replaceChildren(failure(error));
  }
}

// A column stands for more than one stored field when it is split or derived: its cell changed when any did.
const PARTS = {
  full_name: ["last_name", "first_name"],
  country: ["country_code"],
  country_code: ["country"],
  province: ["province_code"],
  province_code: ["province"],
};

function previewRow(row, headers, fields) {
  const changes = row.status === "updated" ? row.changes || {} : {};
  const cells = headers.map((_, index) => {
    const value = row.cells?.[index] ?? "";
    const field = fields[index];
    const changed = field ? [field, ...(PARTS[field] || [])].filter((name) => name in changes) : [];
    if (changed.length) {
      const old = changed.includes(field)
        ? String(changes[field][0] ?? "")
        : changed.map((name) => `${state.labels?.[name] || name}: ${changes[name][0] ?? t("empty")}`).join(", ");
      const was = t("was", { value: old || t("empty") });
      return h("td", { class: "changed", title: was, "data-label": headers[index] }, String(value),
        h("span", { class: "old" }, was));
    }
    return h("td", { "data-label": headers[index] }, String(value));
  });
  const details = [...(row.errors || []), ...(row.warnings || [])].join("; ");
  return h("tr", { class: row.status, dataset: { row: row.row, status: row.status } },
    h("td", { "data-label": t("row") }, number(row.row)), h("td", { "data-label": t("status") }, t(`st_${row.status}`)),
    cells, details ? h("td", { "data-label": t("details") }, details) : h("td", {}));
}

async function waitForApply(jobId) {
  const bar = h("progress", { max: 100, value: 0, id: "import-progress", "aria-label": t("import_progress") });
  const line = h("p", { id: "import-percent" }, t("applying", { percent: percent(0) }));
  setStep(() => show(card(t("tab_import"), line, bar)));
  let said = -1;
  const status = await pollImport(jobId, new Set(), (s) => {
    bar.value = s.percent || 0;
    line.textContent = t("applying", { percent: percent(s.percent || 0) });
    if ((s.percent || 0) - said >= 25) {
      said = s.percent || 0;
      announce(line.textContent);
    }
  });
  showResult(status);
}

function showResult(status) {
  const ok = status.status === "completed";
  const title = ok ? t("result_title") : t("result_failed", { reason: status.error || said(status.status) });
  setStep(() => show(card(title,
    h("p", {}, status.file_name),
    counts([["rows_total", status.rows_total], ["created", status.created], ["updated", status.updated],
      ["unchanged", status.unchanged], ["skipped", status.skipped], ["stale", status.stale],
      ["invalid", status.invalid], ["not_processed", status.not_processed], ["warnings", status.warnings]]),
    links([[t("dl_errors"), status.error_report_url], [t("dl_diff"), status.preview?.diff_report_url]]),
    newImportButton())));
  announce(title);
}

// ---- history -------------------------------------------------------------------------------------------------

function historyView() {
  const importsBody = h("tbody", {});
  const exportsBody = h("tbody", {});
  const importsMore = h("div", { class: "actions" });
  const exportsMore = h("div", { class: "actions" });
  const message = h("div", {});
  const importsTable = h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "imports-table" },
    h("thead", {}, h("tr", {}, [t("file"), t("status"), t("when"), t("by"), t("c_created"), t("c_updated"),
      t("c_invalid"), ""].map((text) => h("th", { scope: "col" }, text)))), importsBody));
  const exportsTable = h("div", { class: "table-wrap" }, h("table", { class: "stack", id: "exports-table" },
    h("thead", {}, h("tr", {}, [t("file"), t("status"), t("when"), t("by"), t("rows")]
      .map((text) => h("th", { scope: "col" }, text)))), exportsBody));

  const loadImports = async (cursor) => {
    const page = await state.api.get("/imports", { limit: 20, cursor });
    for (const job of page.items) importsBody.append(importRow(job, message));
    if (!cursor && !page.items.length) importsBody.append(h("tr", {}, h("td", { colspan: 8 }, t("no_jobs"))));
    importsMore.replaceChildren();
    if (page.next_cursor) importsMore.append(h("button", { type: "button", class: "secondary",
      onclick: () => loadImports(page.next_cursor).catch((e) => message.replaceChildren(failure(e))) }, t("more")));
  };
  const loadExports = async (cursor) => {
    const page = await state.api.get("/exports", { limit: 20, cursor });
    for (const job of page.items) {
      exportsBody.append(h("tr", { dataset: { exportId: job.export_id } },
        h("td", { "data-label": t("file") }, job.file_name || job.export_id),
        h("td", { "data-label": t("status") }, said(job.status)),
        h("td", { "data-label": t("when"), class: "time" }, time(job.created_at)),
        h("td", { "data-label": t("by") }, job.requested_by),
        h("td", { "data-label": t("rows") }, number(job.rows))));
    }
    if (!cursor && !page.items.length) exportsBody.append(h("tr", {}, h("td", { colspan: 5 }, t("no_jobs"))));
    exportsMore.replaceChildren();
    if (page.next_cursor) exportsMore.append(h("button", { type: "button", class: "secondary",
      onclick: () => loadExports(page.next_cursor).catch((e) => message.replaceChildren(failure(e))) }, t("more")));
  };
  show(card(t("tab_history"), message,
    h("h3", {}, t("imports")), importsTable, importsMore,
    h("h3", {}, t("exports")), exportsTable, exportsMore,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => historyView() },
      t("refresh")))));
  Promise.all([loadImports(null), loadExports(null)]).catch((error) => message.replaceChildren(failure(error)));
}

function importRow(job, message) {
  const action = h("td", {});
  if (job.status === "completed") {
    action.append(h("button", { type: "button", class: "secondary", "aria-label": t("rollback_of", { file: job.file_name }),
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        announce(t("rolling_back", { file: job.file_name }));
        try {
          await state.api.post(`/imports/${job.job_id}/rollback`);
          const done = await pollImport(job.job_id, new Set(), () => {});
          const rollback = done.rollback || {};
          const text = done.status === "rolled_back"
            ? t("rolled_back", { restored: number(rollback.restored), removed: number(rollback.removed),
              left_alone: number(rollback.left_alone) })
            : t("error", { reason: done.error || done.status });
          message.replaceChildren(h("p", { id: "rollback-result" }, text),
            links([[t("dl_rollback"), rollback.report_url]]) || "");
          announce(text);
          row.querySelector("[data-cell=status]").textContent = said(done.status);
          action.replaceChildren();
        } catch (error) {
          message.replaceChildren(failure(error));
        }
      } }, t("rollback")));
  }
  const row = h("tr", { dataset: { jobId: job.job_id } },
    h("td", { "data-label": t("file") }, job.file_name),
    h("td", { "data-label": t("status"), dataset: { cell: "status" } }, said(job.status)),
    h("td", { "data-label": t("when"), class: "time" }, time(job.created_at)),
    h("td", { "data-label": t("by") }, job.requested_by),
    h("td", { "data-label": t("c_created") }, number(job.created)),
    h("td", { "data-label": t("c_updated") }, number(job.updated)),
    h("td", { "data-label": t("c_invalid") }, number(job.invalid)),
    action);
  return row;
}

// ---- export ------------------------------------------------------------------------------------------------

function exportView() {
  const radios = ["all", "page", "selected", "filter"].map((kind) => h("label", { class: "check" },
    h("input", { type: "radio", name: "scope", value: kind, checked: kind === "all" }), t(`scope_${kind}`)));
  const cursor = h("input", { type: "text", name: "cursor" });
  const size = h("input", { type: "number", name: "size", min: 1, max: 10000, value: 50 });
  const ids = h("textarea", { name: "ids", rows: 3 });
  const search = h("input", { type: "text", name: "search" });
  const tags = h("input", { type: "text", name: "tags" });
  const city = h("input", { type: "text", name: "city" });
  const allColumns = h("input", { type: "checkbox", name: "all_columns", checked: true });
  const columnBoxes = EXPORT_COLUMNS.map((name) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "column", value: name }), fieldLabel(name)));
  const format = h("select", { name: "format" }, h("option", { value: "xlsx" }, "xlsx"), h("option", { value: "csv" }, "csv"));
  const personal = h("input", { type: "checkbox", name: "without_personal_data" });
  const result = h("div", { id: "export-result" });
  const submit = h("button", { type: "submit", id: "start-export" }, t("start_export"));

  const groups = {
    page: h("div", { dataset: { scope: "page" } }, labelled(t("page_cursor"), cursor), labelled(t("page_size"), size)),
    selected: h("div", { dataset: { scope: "selected" } }, labelled(t("ids"), ids)),
    filter: h("div", { dataset: { scope: "filter" } }, labelled(t("filter_search"), search),
      labelled(t("filter_tags"), tags), labelled(t("filter_city"), city)),
  };
  const showScope = () => {
    const kind = radios.map((label) => label.querySelector("input")).find((radio) => radio.checked).value;
    for (const [name, group] of Object.entries(groups)) group.hidden = name !== kind;
  };
  for (const label of radios) label.querySelector("input").addEventListener("change", showScope);
  showScope();
  allColumns.addEventListener("change", () => {
    for (const label of columnBoxes) label.querySelector("input").disabled = allColumns.checked;
  });
  for (const label of columnBoxes) label.querySelector("input").disabled = true;
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const kind = form.querySelector("input[name=scope]:checked").value;
    const scope = { kind };
    if (kind === "page") Object.assign(scope, { cursor: cursor.value.trim() || null, size: Number(size.value) || 50 });
    if (kind === "selected") scope.ids = ids.value.split(/[\s,]+/).filter(Boolean);
    if (kind === "filter") {
      scope.filter = { search: search.value.trim() || null, city: city.value.trim() || null,
        tags: tags.value.split(",").map((tag) => tag.trim()).filter(Boolean) };
    }
    const chosen = columnBoxes.map((label) => label.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
    const request = { scope, format: format.value, columns: allColumns.checked || !chosen.length ? null : chosen,
      without_personal_data: personal.checked };
    submit.disabled = true;
    const bar = h("progress", { max: 100, value: 0, "aria-label": t("exporting", { percent: "" }) });
    const line = h("p", {}, t("exporting", { percent: percent(0) }));
    result.replaceChildren(line, bar);
    try {
      let view = await state.api.post("/exports", request);
      while (!FINAL.has(view.status)) {
        bar.value = view.percent || 0;
        line.textContent = t("exporting", { percent: percent(view.percent || 0) });
        await sleep(500);
        view = await state.api.get(`/exports/${view.export_id}`);
      }
      if (view.status !== "completed") throw new ApiError(0, view.error || view.status);
      const ready = t("export_ready", { rows: number(view.rows) });
      result.replaceChildren(h("p", {}, ready),
        view.delivery === "email" ? h("p", {}, t("export_emailed")) : "",
        links(view.files.map((file) => [t("download", { file: file.file_name }), file.url])) || "");
      announce(ready);
    } catch (error) {
      result.replaceChildren(failure(error));
    } finally {
      submit.disabled = false;
    }
  } },
  h("fieldset", {}, h("legend", {}, t("scope")), h("div", { class: "inline" }, radios)),
  groups.page, groups.selected, groups.filter,
  h("fieldset", {}, h("legend", {}, t("columns")),
    h("label", { class: "check" }, allColumns, t("all_columns")), h("div", { class: "inline" }, columnBoxes)),
  labelled(t("format"), format),
  h("label", { class: "check" }, personal, t("without_personal")),
  h("div", { class: "actions" }, submit));
  show(card(t("export_title"), form, result));
}

// ---- settings ----------------------------------------------------------------------------------------------

async function loadSettings() {
  const answer = await state.api.call("GET", "/settings");
  state.settings = answer.body;
  state.etag = answer.headers.get("ETag");
  return state.settings;
}

async function settingsView() {
  const message = h("div", {});
  try {
    await loadSettings();
  } catch (error) {
    return show(card(t("settings_title"), failure(error)));
  }
  const s = state.settings;
  const lang = h("select", { name: "language" }, h("option", { value: "" }, t("region_language")),
    (state.config.languages || LANGUAGES).map((code) => h("option", { value: code, selected: code === s.language },
      LANGUAGE_NAMES[code] || code)));
  const region = h("input", { type: "text", name: "default_region", value: s.default_region, maxlength: 2,
    pattern: "[A-Za-z]{2}", size: 4 });
  const maxRows = h("input", { type: "number", name: "max_rows", value: s.max_rows, min: 1 });
  const hours = h("input", { type: "number", name: "preview_hours", value: s.preview_hours, min: 1 });
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    const patch = { language: lang.value || null, default_region: region.value.trim().toUpperCase(),
      max_rows: Number(maxRows.value), preview_hours: Number(hours.value) };
    try {
      const answer = await state.api.call("PATCH", "/settings", { body: patch,
        headers: state.etag ? { "If-Match": state.etag } : {} });
      state.settings = answer.body;
      state.etag = answer.headers.get("ETag") || state.etag;
      setLanguage(languageOf(state.settings, state.config.languages));
      localStorage.removeItem("customer-bulk-language");
      go("settings");
      announce(t("saved"));
    } catch (error) {
      if (error.status === 412) {
        await settingsView();
        announce(t("conflict"));
      } else {
        message.replaceChildren(failure(error));
      }
    }
  } },
  labelled(t("language"), lang), labelled(t("region"), region), labelled(t("max_rows"), maxRows),
  labelled(t("preview_hours"), hours), message, h("div", { class: "actions" }, h("button", { type: "submit" }, t("save"))));
  show(card(t("settings_title"), form));
}

// ---- start ---------------------------------------------------------------------------------------------------

async function start() {
  setLanguage(localStorage.getItem("customer-bulk-language") || (navigator.language || "en").slice(0, 2));
  renderFrame();
  announce(t("signing_in"));
  try {
    state.config = await loadConfig();
    const signed = await signIn(state.config, { onWaiting: () => announce(t("waiting_token")) });
    state.who = { tenant: signed.tenant, email: signed.email };
    state.api = new Api(state.config.api, signed.token, () => language());
    window.addEventListener("message", (event) => { // a host application may hand a fresh token at any time
      if (event.data?.type === "customer-bulk-token" && typeof event.data.token === "string") {
        state.api.setToken(event.data.token);
      }
    });
    await loadSettings();
    const chosen = localStorage.getItem("customer-bulk-language");
    setLanguage(chosen && (state.config.languages || LANGUAGES).includes(chosen)
      ? chosen : languageOf(state.settings, state.config.languages));
  } catch (error) {
    announce(t("sign_in_failed", { reason: error.message }));
    show(h("p", { class: "error", role: "alert" }, t("sign_in_failed", { reason: error.message })));
    return;
  }
  document.getElementById("nav").hidden = false;
  document.getElementById("nav").addEventListener("click", (event) => {
    const view = event.target.closest("button")?.dataset.view;
    if (view) go(view);
  });
  document.getElementById("language").addEventListener("change", (event) => {
    setLanguage(event.target.value);
    localStorage.setItem("customer-bulk-language", event.target.value);
    state.wizard = state.wizard?.jobId ? state.wizard : null; // a wizard step keeps its data, redrawn as is
    go(state.view);
  });
  document.body.dataset.ready = "true";
  go("import");
  announce(t("signed_in", state.who));
}

start();
