// Albums: create, rename, delete (keeping their photos), and the list the
// gallery filter and a photo's page offer.
import { ApiError, request } from "./api.js";

const $ = (id) => document.getElementById(id);

/** Every album of the signed-in person (a few pages at most). */
export async function allAlbums() {
  const albums = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "100", sortOrder: "asc" });
    if (cursor) query.set("cursor", cursor);
    const page = await request("GET", `/albums?${query}`);
    albums.push(...page.items);
    cursor = page.nextCursor || null;
  } while (cursor);
  return albums;
}

/** Fills `select` with "none" (labelled `none`) and every album. */
export function fillAlbumChoice(select, albums, none, chosen) {
  const first = document.createElement("option");
  first.value = "";
  first.textContent = none;
  select.replaceChildren(first, ...albums.map((album) => {
    const option = document.createElement("option");
    option.value = album.id;
    option.textContent = album.title;
    return option;
  }));
  select.value = chosen || "";
}

export async function showAlbums() {
  $("albums-view").hidden = false;
  $("album-message").textContent = "";
  $("album-create").onsubmit = async (event) => {
    event.preventDefault();
    await act(() => request("POST", "/albums", { title: $("album-title").value.trim() }), "Created.");
    $("album-title").value = "";
  };
  await list();
}

async function act(change, done) {
  try {
    await change();
    $("album-message").textContent = done;
  } catch (error) {
    $("album-message").textContent = error instanceof ApiError ? error.message : "Not done.";
  }
  await list();
}

async function list() {
  const albums = await allAlbums();
  $("album-list").replaceChildren(...albums.map(row));
  $("no-albums").hidden = albums.length > 0;
}

function row(album) {
  const item = document.createElement("li");
  item.dataset.id = album.id;
  const name = document.createElement("input");
  name.value = album.title;
  name.maxLength = 255;
  name.setAttribute("aria-label", `Name of album ${album.title}`);
  const rename = button("Rename", () => act(
    () => request("PATCH", `/albums/${album.id}`, { title: name.value.trim(), version: album.version }),
    "Renamed.",
  ));
  const open = document.createElement("a");
  open.href = `#/?album=${album.id}`;
  open.textContent = "Show its photos";
  const remove = button("Delete album", () => act(
    () => request("DELETE", `/albums/${album.id}`), "Deleted; its photos stay in the gallery.",
  ));
  remove.className = "danger";
  item.append(name, rename, open, remove);
  return item;
}

function button(label, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", onClick);
  return element;
}
