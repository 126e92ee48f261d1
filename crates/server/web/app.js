// The gallery: sign in, see your photos newest first (more load as you
// scroll), upload several at once with a progress bar each.
import { showAccount } from "./account.js";
import { allAlbums, fillAlbumChoice, showAlbums } from "./albums.js";
import { ApiError, request, setToken, signedIn, upload } from "./api.js";
import { showAudit } from "./audit.js";
import { showImage } from "./image.js";
import { beginSignIn, finishSignIn } from "./oidc.js";

const $ = (id) => document.getElementById(id);
let config = { devSignIn: false };
let me = null;
const VIEWS = ["gallery-view", "image-view", "albums-view", "audit-view", "account-view"];
let expiry = null;
let cursor = null;
let loading = false;
let observer = null;

async function start() {
  config = await fetch("/web/config.json").then((r) => r.json());
  $("sign-out").addEventListener("click", signOut);
  $("dev-sign-in").addEventListener("submit", devSignIn);
  $("sign-in-provider").addEventListener("click", () => beginSignIn(config.issuer, config.clientId));
  if (config.issuer && config.clientId) {
    try {
      const signed = await finishSignIn(config.issuer, config.clientId);
      if (signed) enter(signed.accessToken, signed.sub, "", signed.expiresIn);
    } catch (error) {
      $("no-sign-in").textContent = error.message;
      $("no-sign-in").hidden = false;
    }
  }
  $("upload").addEventListener("submit", (e) => { e.preventDefault(); uploadChosen(); });
  $("order").addEventListener("change", () => reload());
  $("album-filter").addEventListener("change", () => reload());
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    uploadFiles([...e.dataTransfer.files]);
  });
  window.addEventListener("hashchange", () => route());
  show();
}

/** Which view the URL's hash names: `#/`, `#/images/ID` or `#/account`. */
function route() {
  if (!signedIn()) return;
  for (const id of VIEWS) $(id).hidden = true;
  const [hash, search] = (location.hash.replace(/^#/, "") || "/").split("?");
  const image = hash.match(/^\/images\/([^/]+)$/);
  if (image) {
    showImage(decodeURIComponent(image[1]), () => { location.hash = "#/"; });
  } else if (hash === "/albums") {
    showAlbums();
  } else if (hash === "/audit") {
    showAudit();
  } else if (hash === "/account") {
    showAccount(me, (erased) => {
      signOut();
      $("no-sign-in").hidden = false;
      $("no-sign-in").textContent =
        `Your account is erased: ${erased.deletedImages} photos and ${erased.deletedAlbums} albums are gone.`;
    });
  } else {
    $("gallery-view").hidden = false;
    showGallery(new URLSearchParams(search || "").get("album"));
  }
}

/** The gallery, of one album when `album` is an id. */
async function showGallery(album) {
  fillAlbumChoice($("album-filter"), await allAlbums(), "All photos", album);
  reload();
}

function show() {
  const inside = signedIn();
  $("sign-in").hidden = inside;
  $("dev-sign-in").hidden = inside || !config.devSignIn;
  const provider = Boolean(config.issuer && config.clientId);
  $("provider-sign-in").hidden = inside || !provider;
  if (!inside && !config.devSignIn && !provider) {
    $("no-sign-in").textContent = "Sign-in is not set up for this page (IMAGE_SERVICE_WEB_CLIENT_ID).";
    $("no-sign-in").hidden = false;
  }
  $("gallery-view").hidden = !inside;
  $("sign-out").hidden = !inside;
  $("nav").hidden = !inside;
  $("who").hidden = !inside;
  if (!inside) {
    for (const id of VIEWS) if (id !== "gallery-view") $(id).hidden = true;
  }
  if (inside) route();
}

async function devSignIn(event) {
  event.preventDefault();
  const sub = $("dev-user").value.trim();
  const role = $("dev-role").value;
  const signed = await request("POST", "/web/dev-sign-in", { sub, role });
  enter(signed.accessToken, sub, ` (${role})`, signed.expiresIn);
}

/** Signed in: the token in memory, and signed out again before it expires. */
function enter(token, sub, note, expiresIn) {
  setToken(token);
  me = sub;
  $("no-sign-in").hidden = true;
  $("who").textContent = `Signed in as ${sub}${note}`;
  clearTimeout(expiry);
  expiry = setTimeout(() => {
    signOut();
    $("no-sign-in").textContent = "Your session ended: sign in again.";
    $("no-sign-in").hidden = false;
  }, Math.max(expiresIn - 30, 5) * 1000);
  show();
}

function signOut() {
  setToken(null);
  me = null;
  clearTimeout(expiry);
  $("grid").replaceChildren();
  $("progress").replaceChildren();
  show();
}

async function reload() {
  cursor = null;
  $("grid").replaceChildren();
  await loadMore(true);
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore(false);
    });
    observer.observe($("more"));
  }
}

async function loadMore(first) {
  if (loading || (!first && !cursor)) return;
  loading = true;
  try {
    const query = new URLSearchParams({ limit: "24", sortOrder: $("order").value });
    if ($("album-filter").value) query.set("albumId", $("album-filter").value);
    if (cursor) query.set("cursor", cursor);
    const page = await request("GET", `/images?${query}`);
    for (const image of page.items) $("grid").append(tile(image));
    cursor = page.nextCursor || null;
    $("empty").hidden = $("grid").children.length > 0;
  } finally {
    loading = false;
  }
}

function tile(image) {
  const item = document.createElement("li");
  const img = document.createElement("img");
  img.src = image.urls.thumbnail;
  img.alt = image.altText || image.title || "A photo without a description";
  img.width = 160;
  img.height = 160;
  img.loading = "lazy";
  item.dataset.id = image.id;
  const link = document.createElement("a");
  link.href = `#/images/${encodeURIComponent(image.id)}`;
  link.append(img);
  item.append(link);
  return item;
}

function uploadChosen() {
  const input = $("files");
  uploadFiles([...input.files]);
  input.value = "";
}

async function uploadFiles(files) {
  const altText = $("alt").value.trim();
  await Promise.all(files.map((file) => uploadOne(file, altText)));
  await reload();
}

async function uploadOne(file, altText) {
  const row = document.createElement("li");
  const label = document.createElement("span");
  label.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Upload of ${file.name}`);
  const status = document.createElement("span");
  row.append(label, bar, status);
  $("progress").append(row);
  try {
    await upload(file, { altText }, (share) => { bar.value = Math.round(share * 100); });
    status.textContent = "Uploaded";
    status.className = "done";
    row.dataset.state = "done";
  } catch (error) {
    status.textContent = error instanceof ApiError ? error.message : "The upload failed.";
    status.className = "error";
    row.dataset.state = "error";
  }
}

start();
