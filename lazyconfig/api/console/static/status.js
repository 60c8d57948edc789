// Status and validation problems, refreshed as changes arrive.
import { api, element, follow } from "./console.js";

const $ = (id) => document.getElementById(id);

function figure(label, value) {
  return element("div", {}, element("strong", { text: value }), element("span", { text: label }));
}

async function status() {
  const now = await api("GET", "/status");
  const sources = Object.entries(now.sources).map(([s, n]) => `${s} ${n}`).join(" · ");
  $("figures").replaceChildren(figure("revision", String(now.revision)),
    figure("keys", String(now.total_values)), figure("from each source", sources),
    figure("validation", now.validation_status.valid ? "valid" : `${now.validation_status.error_count} problems`));
  const problems = Object.entries(now.validation_status.errors);
  $("problems").replaceChildren(...(problems.length
    ? problems.map(([key, messages]) => element("li", {}, element("code", { text: key }), `: ${messages.join("; ")}`))
    : [element("li", { text: "none" })]));
}

status();
follow(() => status());
