// Change analytics as bar charts: plain elements sized by CSS, each bar also a line of text.
import { ApiError, api, element } from "./console.js";

const $ = (id) => document.getElementById(id);

function bar(share) {
  const fill = element("div", { class: "fill", "aria-hidden": "true" });
  fill.style.width = `${share}%`; // through the CSSOM: the page's policy refuses style attributes
  return fill;
}

function chart(id, rows, label, count) {
  const most = Math.max(1, ...rows.map(count));
  $(id).replaceChildren(...(rows.length ? rows.map((row) => element("div", { class: "bar-row", role: "listitem" },
    element("span", { text: label(row) ?? "(no user)" }), bar((100 * count(row)) / most),
    element("span", { text: String(count(row)) }))) : [element("p", { text: "none in this range" })]));
}

function seconds(value) {
  if (value === null) return "none";
  if (value < 120) return `${Math.round(value)} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}

function figure(label, value) {
  return element("div", {}, element("strong", { text: value }), element("span", { text: label }));
}

async function show() {
  const range = new URLSearchParams();
  if ($("from").value) range.set("from", $("from").value);
  if ($("to").value) range.set("to", $("to").value);
  const ask = (group) => api("GET", `/analytics/changes?group_by=${group}&limit=20&${range}`);
  try {
    const [days, keys, users] = await Promise.all([ask("day"), ask("key"), ask("user")]);
    $("from").value = days.from;
    $("to").value = days.to;
    $("message").textContent = "";
    $("figures").replaceChildren(
      figure("changes", String(days.total_changes)),
      figure("rollbacks and reverts", `${days.rollbacks + days.reverts} (${(100 * days.undo_share).toFixed(1)}%)`),
      figure("median time to undo", seconds(days.median_seconds_to_undo)),
      figure("refused values", String(days.refusals.reduce((sum, r) => sum + r.refusals, 0))));
    chart("days", days.groups, (g) => g.group, (g) => g.changes);
    chart("keys", keys.groups, (g) => g.group, (g) => g.changes);
    chart("users", users.groups, (g) => g.group, (g) => g.changes);
    chart("refusals", days.refusals, (r) => r.key, (r) => r.refusals);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    $("message").textContent = error.message;
  }
}

$("range").addEventListener("submit", (event) => { event.preventDefault(); show(); });
show();
