//! The gallery's paint timings in headless Chromium with 100 images: a
//! benchmark (ignored), run on demand with `--ignored --nocapture`.

use serde_json::json;

use crate::browser::{dev_app, dev_token};
use crate::support::browser::browser;
use crate::support::images;

#[tokio::test]
#[ignore = "a benchmark: prints the gallery's paint timings"]
async fn gallery_paint_timings_with_100_images() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = dev_app().await;
    let token = dev_token(&app, "lcp", "user").await;
    for n in 0..100 {
        let jpeg = images::jpeg(1200 + n % 7, 900);
        let response = app.upload_with(&token, jpeg, "image/jpeg", &[]).await;
        assert_eq!(response.status(), 201);
    }
    let (mut loaded, mut gallery) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        browser.goto(&app.url("/")).await;
        browser
            .wait_for(
                "the sign-in form",
                "return !document.getElementById('dev-sign-in').hidden",
            )
            .await;
        let lcp = browser
            .call_async(
                "const done = arguments[arguments.length - 1]; \
                 new PerformanceObserver(list => { const e = list.getEntries(); \
                   done(e[e.length - 1].startTime); }).observe({ type: 'largest-contentful-paint', buffered: true });",
            )
            .await;
        loaded.push(lcp.as_f64().unwrap());
        browser.type_into("#dev-user", "lcp").await;
        browser
            .run("window.signInAt = performance.now()", json!([]))
            .await;
        browser.click("#dev-sign-in button[type=submit]").await;
        browser
            .wait_for(
                "the first page",
                "return [...document.querySelectorAll('#grid img')].filter(i => i.complete && i.naturalWidth > 0).length >= 24",
            )
            .await;
        let shown = browser
            .run(
                "const r = performance.getEntriesByType('resource') \
                   .filter(e => e.name.includes('/files/') && e.startTime >= window.signInAt); \
                 return Math.max(...r.map(e => e.responseEnd)) - window.signInAt;",
                json!([]),
            )
            .await;
        gallery.push(shown.as_f64().unwrap());
    }
    loaded.sort_by(f64::total_cmp);
    gallery.sort_by(f64::total_cmp);
    println!(
        "page LCP (sign-in screen), 5 loads: {loaded:?} ms; median {}",
        loaded[2]
    );
    println!(
        "sign-in to first 24 thumbnails, 5 runs: {gallery:?} ms; median {}",
        gallery[2]
    );
}
