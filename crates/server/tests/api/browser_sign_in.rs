//! Signing in to the web gallery through a real OpenID Connect provider
//! (authorization code with PKCE) in headless Chromium.

use serde_json::json;

use crate::browser::{assert_accessible, wait_shown, wait_text};
use crate::support::browser::browser;
use crate::support::{images, spawn_with};

/// Sign-in through a real OpenID Connect provider (oidc-provider on
/// loopback): the authorization code flow with PKCE from the page, its
/// login and consent pages, back to the gallery with a working token.
#[tokio::test]
async fn signing_in_through_the_identity_provider() {
    use crate::support::backends::as_settings;
    use crate::support::identity_provider::{ClientSpec, IdentityProvider};

    let Some(browser) = browser().await else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let page = format!("http://127.0.0.1:{port}/");
    let Some(provider) = IdentityProvider::start(&[ClientSpec::web_page("gallery", page.clone())])
    else {
        return;
    };
    let mut env = provider.service_env();
    env.push(("IMAGE_SERVICE_LISTEN", format!("127.0.0.1:{port}")));
    env.push(("IMAGE_SERVICE_WEB_CLIENT_ID", "gallery".to_owned()));
    let app = spawn_with(&as_settings(&env)).await;

    browser.goto(&page).await;
    wait_shown(
        &browser,
        "the provider's sign-in button",
        "provider-sign-in",
    )
    .await;
    assert_accessible(&browser, "the sign-in page").await;
    browser.click("#sign-in-provider").await;
    // The provider's own login page, then its consent page.
    browser
        .wait_for(
            "the login page",
            "return document.querySelector('input[name=login]') !== null",
        )
        .await;
    browser.type_into("input[name=login]", "erin").await;
    browser.type_into("input[name=password]", "any").await;
    browser.click("button[type=submit]").await;
    // The login page gives way to the consent page (or, consent remembered,
    // straight back to the gallery).
    let left_login = format!(
        "return location.href.startsWith({}) \
         || (document.querySelector('input[name=login]') === null \
             && document.querySelector('button[type=submit]') !== null)",
        json!(page)
    );
    browser
        .wait_for("the consent page or the gallery", &left_login)
        .await;
    let back = browser.run("return location.href", json!([])).await;
    if !back.as_str().unwrap().starts_with(&page) {
        browser.click("button[type=submit]").await;
    }
    wait_shown(&browser, "the gallery", "gallery-view").await;
    wait_text(&browser, "who is signed in", "who", "erin").await;
    let address = browser.run("return location.href", json!([])).await;
    assert!(
        !address.as_str().unwrap().contains("code="),
        "the code stayed in the address: {address}"
    );
    let stored = browser
        .run(
            "return JSON.stringify(Object.assign({}, localStorage, sessionStorage))",
            json!([]),
        )
        .await;
    assert!(
        !stored.as_str().unwrap().contains("eyJ"),
        "a token in web storage: {stored}"
    );

    // The provider's token works for the API through the page.
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.jpg");
    std::fs::write(&photo, images::jpeg(320, 240)).unwrap();
    browser
        .type_into("#files", &photo.display().to_string())
        .await;
    browser.click("#upload button[type=submit]").await;
    browser
        .wait_for(
            "the upload",
            "return document.querySelectorAll('#grid li').length === 1",
        )
        .await;
    browser.click("#sign-out").await;
    wait_shown(&browser, "signed out", "provider-sign-in").await;
    drop(app);
}
