// The audit log (admins), newest first, a page at a time.
import { api, element, reported } from "./console.js";

const $ = (id) => document.getElementById(id);
const SIZE = 50;
let page = 1, pages = 1;

async function show() {
  const data = await api("GET", `/audit?page=${page}&page_size=${SIZE}`);
  pages = Math.max(1, Math.ceil(data.total / SIZE));
  $("audit").querySelector("tbody").replaceChildren(...(data.events.length ? data.events.map((e) => element("tr", { "data-id": e.id },
    element("td", { text: e.at.slice(0, 19).replace("T", " ") }), element("td", { text: e.actor || "" }),
    element("td", {}, element("code", { text: e.action })), element("td", { text: e.subject }),
    element("td", { class: "value", text: e.detail ? JSON.stringify(e.detail) : "" }),
    element("td", { class: "value", text: e.request_id || "" })))
    : [element("tr", {}, element("td", { colspan: "6", text: "no events" }))]));
  $("page-of").textContent = `Page ${page} of ${pages} (${data.total} events)`;
  $("newer").disabled = page <= 1;
  $("older").disabled = page >= pages;
}

function go(step) {
  return reported(() => { page = Math.min(Math.max(1, page + step), pages); return show(); });
}

$("newer").addEventListener("click", go(-1));
$("older").addEventListener("click", go(1));
reported(show)();
