// The dashboard's calls to textmill's public API. The key lives in sessionStorage and
// travels only in the Authorization header (never in a URL): uploads go by XHR (for their
// progress), the live stream by fetch over SSE (so it can carry the header).

const KEY = "textmill.api-key";
const API = "/api/v2";
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || `http_${status}`;
    this.requestId = problem.correlation_id || null;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
  },
};

function headers(extra = {}) {
  return { Authorization: `Bearer ${session.key}`, ...extra };
}

async function problemOf(response) {
  const text = await response.text();
  try { return JSON.parse(text); } catch { return { detail: text.slice(0, 300) }; }
}

export async function call(method, path, body) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${API}${path}`, init);
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response.status === 204 ? null : response.json();
}

export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/files`);
    xhr.setRequestHeader("Authorization", `Bearer ${session.key}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { body = { detail: xhr.responseText }; }
      if (xhr.status === 201) resolve(body); else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { code: "unavailable", detail: "the upload was cut off" }));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

// Follows a run's stream from after `fromSeq`, calling onMessage once per message in order.
// A dropped connection is resumed after the last message seen; resolves at the stream's end.
export async function follow(runId, onMessage, { signal, fromSeq = 0 } = {}) {
  let last = fromSeq;
  let ended = false;
  let failures = 0;
  while (!signal?.aborted) {
    try {
      const response = await fetch(`${API}/runs/${runId}/events?from_seq=${last}`, {
        headers: headers({ Accept: "text/event-stream" }), signal,
      });
      if (response.status === 204) return;
      if (!response.ok) throw new ApiError(response.status, await problemOf(response));
      for await (const event of events(response.body)) {
        if (event.type === "error") throw new ApiError(410, JSON.parse(event.data));
        if (!event.data.trim()) continue; // keep-alive
        const message = JSON.parse(event.data);
        if (message.seq <= last) continue;
        last = message.seq;
        failures = 0;
        if (message.type === "run" && TERMINAL.has(message.data.status)) ended = true;
        onMessage(message);
      }
      if (ended) return;
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) throw error;
      if (signal?.aborted) return;
      failures += 1;
      if (failures > 8) throw error;
    }
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
  }
}

async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { type: "message", data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, cut);
      buffer = buffer.slice(cut + (buffer[cut] === "\r" ? 2 : 1));
      if (line === "") {
        if (event.data.length) yield { type: event.type, data: event.data.join("\n") };
        event = { type: "message", data: [] };
      } else if (!line.startsWith(":")) {
        const at = line.indexOf(":");
        const name = at < 0 ? line : line.slice(0, at);
        const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
        if (name === "data") event.data.push(value);
        else if (name === "event") event.type = value;
      }
    }
  }
}

export async function download(runId, format) {
  const response = await fetch(`${API}/runs/${runId}/export?format=${format}`, { headers: headers() });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `run-${runId}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return blob.size;
}

export function describe(error) {
  if (error instanceof ApiError) {
    const id = error.requestId ? ` (request id ${error.requestId})` : "";
    return `${error.code}: ${error.message}${id}`;
  }
  return String(error.message || error);
}
