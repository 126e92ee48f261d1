// The audit trail, for admins (the API refuses others): filtered by actor, action or
// time, more on request.
import { ApiError, request } from "./api.js";

const $ = (id) => document.getElementById(id);
let cursor = null;

export function showAudit() {
  $("audit-view").hidden = false;
  $("audit-filter").onsubmit = (event) => { event.preventDefault(); load(true); };
  $("audit-more").onclick = () => load(false);
  load(true);
}

async function load(fresh) {
  if (fresh) {
    cursor = null;
    $("audit-rows").replaceChildren();
  }
  const query = new URLSearchParams({ limit: "50" });
  for (const [name, id] of [["actor", "audit-actor"], ["action", "audit-action"]]) {
    const value = $(id).value.trim();
    if (value) query.set(name, value);
  }
  const since = $("audit-since").value;
  if (since) query.set("since", new Date(since).toISOString());
  if (cursor) query.set("cursor", cursor);
  try {
    const page = await request("GET", `/audit?${query}`);
    for (const event of page.items) $("audit-rows").append(row(event));
    cursor = page.nextCursor || null;
    $("audit-more").hidden = !cursor;
    $("audit-message").textContent = `${$("audit-rows").children.length} events shown.`;
  } catch (error) {
    $("audit-message").textContent = error instanceof ApiError ? error.message : "Not loaded.";
  }
}

function row(event) {
  const tr = document.createElement("tr");
  for (const value of [event.at, event.actor, event.action, event.target || "", event.outcome]) {
    const td = document.createElement("td");
    td.textContent = value;
    tr.append(td);
  }
  return tr;
}
