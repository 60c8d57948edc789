// What every console page shares: calls to the REST API with the session cookie and its
// CSRF token, value formatting, and announcements for screen readers.
const body = document.body;
export const prefix = body.dataset.api;
export const role = body.dataset.role;
export const canEdit = role === "editor" || role === "admin";
const csrf = document.querySelector('meta[name="csrf-token"]').content;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

// One API call; resolves to the parsed body, or rejects with an ApiError. The payload is
// sent as JSON, or as it is when the headers name its Content-Type.
export async function api(method, path, payload, headers = {}) {
  const init = { method, credentials: "same-origin",
                 headers: { "X-CSRF-Token": csrf, Accept: "application/json", ...headers } };
  if (payload !== undefined && headers["Content-Type"]) init.body = payload; // a file as it is
  else if (payload !== undefined) {
    init.body = JSON.stringify(payload);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(prefix + path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function show(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export function announce(text) {
  document.getElementById("announcer").textContent = text;
}

export function ago(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toISOString().slice(0, 10);
}

// Every change, as it is made, on the change stream; `onChange(change)` for each.
export function follow(onChange) {
  const stream = new EventSource(prefix + "/notifications/stream", { withCredentials: true });
  stream.addEventListener("change", (event) => onChange(JSON.parse(event.data)));
  return stream;
}

// `action` with an API refusal shown in #message: its message and each field's problem,
// and for a 412 that nothing was `done` since the configuration moved after the preview.
export function reported(action, done = "changed") {
  return (...args) => Promise.resolve(action(...args)).catch((error) => {
    if (!(error instanceof ApiError)) throw error;
    const detail = Object.entries(error.body.errors || {}).map(([k, m]) => `${k}: ${[].concat(m).join(" ")}`);
    document.getElementById("message").textContent =
      (error.status === 412 ? `Conflict: the configuration changed since the preview; nothing was ${done}. ` : "") +
      (detail.length ? `${error.message} (${detail.join("; ")})` : error.message);
  });
}
