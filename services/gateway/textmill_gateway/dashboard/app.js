// The dashboard: sign in, upload, choose columns and chains, estimate, start, watch the run
// live, page through results, read the summary, export, and reopen past runs.

import { call, describe, download, follow, session, upload } from "./api.js";
import { barChart, el } from "./charts.js";

const CHAINS = ["sentiment", "language", "keywords", "pii", "stats"];
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const PAGE = 25;
const $ = (selector) => document.querySelector(selector);

const state = { file: null, runId: null, run: null, pages: [null], page: 0, live: null };

function show(selector, visible = true) { $(selector).hidden = !visible; }
function say(selector, text) { $(selector).textContent = text; }
function seconds(s) {
  if (s === null || s === undefined) return "?";
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;
}

// -- signing in ---------------------------------------------------------------------------

async function signIn(key) {
  session.key = key;
  try {
    await call("GET", "/runs");
  } catch (error) {
    session.key = null;
    throw error;
  }
  show("#sign-in", false);
  show("#workspace");
  show("#whoami");
  await listRuns();
  $("#file").focus();
}

$("#sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  say("#sign-in-error", "");
  try {
    await signIn($("#api-key").value.trim());
    $("#api-key").value = "";
  } catch (error) {
    say("#sign-in-error", `Sign-in failed: ${describe(error)}`);
  }
});

$("#sign-out").addEventListener("click", () => {
  session.key = null;
  state.live?.abort();
  location.reload();
});

// -- upload and profile -------------------------------------------------------------------

$("#upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("#file").files[0];
  if (!file) return;
  say("#upload-error", "");
  show("#profile", false);
  const bar = $("#upload-progress");
  bar.value = 0;
  say("#upload-status", `Uploading ${file.name}…`);
  try {
    state.file = await upload(file, (sent, total) => { bar.value = (100 * sent) / total; });
    bar.value = 100;
    say("#upload-status", `Stored ${state.file.filename}: ${state.file.rows.toLocaleString("en")} rows × ${state.file.columns} columns (${state.file.format}). Profiling…`);
    const profile = await call("POST", "/profile", { file_id: state.file.id });
    showProfile(profile);
    say("#upload-status", `Stored ${state.file.filename}: ${state.file.rows.toLocaleString("en")} rows, profiled.`);
  } catch (error) {
    bar.value = 0;
    say("#upload-status", "");
    say("#upload-error", `The upload failed: ${describe(error)}`);
  }
});

function showProfile(profile) {
  const body = $("#candidates tbody");
  body.replaceChildren();
  const ranked = [...profile.candidates].sort((a, b) => b.final_score - a.final_score);
  ranked.forEach((candidate, i) => {
    const id = `column-${i}`;
    const box = el("input", { type: "checkbox", id, name: "columns", value: candidate.column });
    box.checked = i === 0 || candidate.final_score >= 0.5;
    body.append(el("tr", {},
      el("td", {}, box),
      el("th", { scope: "row" }, el("label", { for: id, text: candidate.column })),
      el("td", { class: "number", text: candidate.final_score.toFixed(2) }),
      el("td", { text: candidate.inferred_type }),
      el("td", { text: candidate.reasons.join("; ") })));
  });
  const chains = $("#chains");
  chains.replaceChildren(el("legend", { text: "Chains" }));
  for (const chain of CHAINS) {
    const box = el("input", { type: "checkbox", id: `chain-${chain}`, name: "chains", value: chain });
    box.checked = chain === "sentiment";
    chains.append(el("span", { class: "choice" }, box, el("label", { for: `chain-${chain}`, text: chain })));
  }
  $("#estimate").replaceChildren();
  say("#run-error", "");
  show("#profile");
  $("#profile-title").scrollIntoView?.({ block: "start" });
}

function chosen() {
  const values = (name) => [...document.querySelectorAll(`input[name=${name}]:checked`)].map((b) => b.value);
  return { file_id: state.file.id, columns: values("columns"), chains: values("chains") };
}

$("#estimate-button").addEventListener("click", async () => {
  say("#run-error", "");
  try {
    const e = await call("POST", "/estimate", chosen());
    const figures = [
      ["Cells", e.cells.toLocaleString("en")],
      ["Time", `${seconds(e.estimated_seconds)} (90 %: ${seconds(e.confidence_lower)} – ${seconds(e.confidence_upper)})`],
      ["Tokens", e.tokens.toLocaleString("en")],
      ["Cost", `$${e.estimated_cost.toFixed(4)}`],
    ];
    $("#estimate").replaceChildren(...figures.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  } catch (error) {
    say("#run-error", `No estimate: ${describe(error)}`);
  }
});

$("#run-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  say("#run-error", "");
  try {
    const started = await call("POST", "/analyze", chosen());
    await openRun(started.run_id);
  } catch (error) {
    say("#run-error", `The run did not start: ${describe(error)}`);
  }
});

// -- a run, live ----------------------------------------------------------------------------

async function openRun(runId) {
  state.live?.abort();
  state.runId = runId;
  state.run = await call("GET", `/runs/${runId}`);
  const labels = {};
  const bars = {};
  const area = $("#column-progress");
  area.replaceChildren();
  for (const column of state.run.columns) {
    const id = `progress-${area.children.length}`;
    bars[column] = {
      bar: el("progress", { id, max: "1", value: "0" }),
      text: el("span", { class: "progress-text" }),
    };
    area.append(el("div", { class: "column-progress" },
      el("label", { for: id, text: column }), bars[column].bar, bars[column].text));
    labels[column] = {};
  }
  show("#run");
  show("#results", false);
  $("#cancel-button").disabled = false;
  $("#run-title").focus?.();
  const counts = Object.fromEntries(state.run.columns.map((c) => [c, 0]));
  const draw = () => {
    for (const column of state.run.columns) {
      const progress = state.run.progress[column] || { done: 0, total: 0 };
      const done = Math.max(counts[column], progress.done);
      const total = progress.total || state.run.rows || 0;
      bars[column].bar.max = Math.max(total, 1);
      bars[column].bar.value = done;
      bars[column].text.textContent = `${done.toLocaleString("en")} / ${total.toLocaleString("en")}`;
    }
    const rate = state.run.rate_cells_per_s ? `${Math.round(state.run.rate_cells_per_s).toLocaleString("en")} cells/s` : "";
    const eta = state.run.eta_seconds ? `, ${seconds(state.run.eta_seconds)} left` : "";
    say("#run-status", `Run ${state.runId}: ${state.run.status}${rate ? ` · ${rate}${eta}` : ""}`);
    $("#live-chart").replaceChildren(...Object.entries(labels).map(([column, counted]) =>
      barChart(column, Object.entries(counted).sort((a, b) => b[1] - a[1]))));
  };
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  };
  draw();
  const controller = new AbortController();
  state.live = controller;
  const ended = TERMINAL.has(state.run.status);
  const shown = state.run.chains.includes("sentiment") ? "sentiment" : state.run.chains[0];
  if (ended) {
    // An ended run is not replayed (its stream may be large, or gone): its summary tells.
    const summary = await call("GET", `/runs/${runId}/summary`);
    for (const [column, figures] of Object.entries(summary.columns || {})) {
      labels[column] = figures.sentiment?.labels || figures.languages || figures.status || {};
      counts[column] = figures.cells || 0;
    }
    controller.abort();
  }
  try {
    if (!controller.signal.aborted) await follow(runId, (message) => {
      if (message.type === "results") {
        const column = message.data.column;
        counts[column] = (counts[column] || 0) + message.data.results.length;
        for (const cell of message.data.results) {
          const out = cell.chains?.[shown];
          const label = cell.status !== "ok" ? cell.status
            : out?.label ?? out?.language ?? (shown === "pii" ? (out?.count ? "with PII" : "without PII") : "analysed");
          labels[column][label] = (labels[column][label] || 0) + 1;
        }
      } else if (message.type === "run") {
        state.run = { ...state.run, ...message.data, columns: state.run.columns, progress: message.data.columns || state.run.progress };
      }
      redraw();
    }, { signal: controller.signal });
  } catch (error) {
    say("#run-status", `The stream stopped: ${describe(error)}`);
  }
  if (state.live !== controller || (controller.signal.aborted && !ended)) return;
  state.run = await call("GET", `/runs/${runId}`);
  draw();
  $("#cancel-button").disabled = true;
  if (state.run.actual_seconds) say("#run-status", `Run ${runId}: ${state.run.status} in ${seconds(state.run.actual_seconds)}`);
  await showResults();
  await listRuns();
}

$("#cancel-button").addEventListener("click", async () => {
  try {
    await call("POST", `/runs/${state.runId}/cancel`);
  } catch (error) {
    say("#run-status", `Not cancelled: ${describe(error)}`);
  }
});

// -- results, summary, export ----------------------------------------------------------------

async function showResults() {
  state.pages = [null];
  state.page = 0;
  show("#results");
  await Promise.all([loadPage(), loadSummary()]);
}

async function loadPage() {
  const cursor = state.pages[state.page];
  const query = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const page = await call("GET", `/runs/${state.runId}/results?${query}`);
  state.pages[state.page + 1] = page.next_cursor;
  const chains = state.run.chains;
  $("#results-table thead").replaceChildren(el("tr", {},
    ...["Column", "Row", "Status", ...chains].map((name) => el("th", { scope: "col", text: name }))));
  $("#results-table tbody").replaceChildren(...page.items.map((item) => el("tr", {},
    el("td", { text: item.column }),
    el("td", { class: "number", text: String(item.record) }),
    el("td", { text: item.status }),
    ...chains.map((chain) => el("td", { text: brief(chain, item.chains?.[chain]) })))));
  $("#previous-page").disabled = state.page === 0;
  $("#next-page").disabled = !page.next_cursor;
  say("#page-label", `Page ${state.page + 1}`);
}

function brief(chain, out) {
  if (!out) return "";
  if (chain === "sentiment") return `${out.label} (${Number(out.compound).toFixed(2)})`;
  if (chain === "language") return out.language || "?";
  if (chain === "keywords") return (out.keywords || []).slice(0, 3).map((k) => k.text ?? k).join(", ");
  if (chain === "pii") return `${out.count ?? (out.entities || []).length} found`;
  if (chain === "stats") return `${out.words} words`;
  return JSON.stringify(out).slice(0, 40);
}

$("#next-page").addEventListener("click", async () => { state.page += 1; await loadPage(); });
$("#previous-page").addEventListener("click", async () => { state.page -= 1; await loadPage(); });

async function loadSummary() {
  const summary = await call("GET", `/runs/${state.runId}/summary`);
  const charts = [];
  for (const [column, figures] of Object.entries(summary.columns || {})) {
    if (figures.sentiment) charts.push(barChart(`${column}: sentiment`, Object.entries(figures.sentiment.labels)));
    if (figures.languages) charts.push(barChart(`${column}: languages`, Object.entries(figures.languages)));
    if (figures.keywords) charts.push(barChart(`${column}: keywords`, figures.keywords.slice(0, 10).map((k) => [k.text, k.count])));
    if (figures.pii) charts.push(barChart(`${column}: PII by type`, Object.entries(figures.pii.by_type)));
    charts.push(barChart(`${column}: cells`, Object.entries(figures.status)));
  }
  $("#summary").replaceChildren(...charts);
}

for (const button of document.querySelectorAll("[data-export]")) {
  button.addEventListener("click", async () => {
    const format = button.dataset.export;
    say("#export-status", `Exporting ${format}…`);
    try {
      const size = await download(state.runId, format);
      say("#export-status", `Downloaded run-${state.runId}.${format} (${size.toLocaleString("en")} bytes)`);
    } catch (error) {
      say("#export-status", `Export failed: ${describe(error)}`);
    }
  });
}

// -- past runs ----------------------------------------------------------------------------------

async function listRuns() {
  const { items } = await call("GET", "/runs");
  $("#runs-table tbody").replaceChildren(...items.slice(0, 50).map((run) => {
    const open = el("button", { type: "button", class: "link", text: run.run_id.slice(0, 8), "aria-label": `Open run ${run.run_id}` });
    open.addEventListener("click", () => openRun(run.run_id).catch((error) => say("#run-status", describe(error))));
    return el("tr", {},
      el("td", {}, open),
      el("td", { text: run.status }),
      el("td", { text: `${run.columns.join(", ")} · ${run.chains.join(", ")}` }),
      el("td", { class: "number", text: `${run.cells_done.toLocaleString("en")} / ${run.cells_total.toLocaleString("en")}` }));
  }));
}

$("#refresh-runs").addEventListener("click", () => listRuns());

if (session.key) {
  signIn(session.key).catch(() => { session.key = null; });
}
