//! `docs/API.md` and the served `/openapi.json` describe the same API: every
//! route (method and path) and every error code in one is in the other.

use std::collections::BTreeSet;

use crate::support::spawn_app;

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn api_doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| cell.trim().trim_matches('`').to_owned())
        .collect()
}

/// The body rows of every Markdown table whose header row starts with `header`.
fn table_rows(doc: &str, header: &[&str]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let is_header = line.trim_start().starts_with('|')
            && cells(line)
                .iter()
                .map(String::as_str)
                .take(header.len())
                .eq(header.iter().copied());
        if !is_header {
            continue;
        }
        lines.next(); // the |---| separator
        for row in lines.by_ref() {
            if !row.trim_start().starts_with('|') {
                break;
            }
            rows.push(cells(row));
        }
    }
    rows
}

/// `(METHOD, path)` of every row of the routes table.
fn documented_routes(doc: &str) -> BTreeSet<(String, String)> {
    table_rows(doc, &["method", "path"])
        .into_iter()
        .map(|row| (row[0].to_ascii_uppercase(), row[1].clone()))
        .collect()
}

/// The code of every row of the errors table, each with a status.
fn documented_codes(doc: &str) -> BTreeSet<String> {
    table_rows(doc, &["code", "status", "meaning"])
        .into_iter()
        .map(|row| {
            assert!(
                row[1].len() == 3 && row[1].parse::<u16>().is_ok(),
                "error {} has no HTTP status in docs/API.md: {:?}",
                row[0],
                row[1]
            );
            row[0].clone()
        })
        .collect()
}

fn served_routes(openapi: &serde_json::Value) -> BTreeSet<(String, String)> {
    let paths = openapi["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            HTTP_METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_ascii_uppercase(), path.clone()))
        })
        .collect()
}

fn served_codes(openapi: &serde_json::Value) -> BTreeSet<String> {
    openapi["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
        .as_array()
        .expect("the Error schema's code enum")
        .iter()
        .map(|c| c.as_str().expect("a string code").to_owned())
        .collect()
}

/// What is in `a` and not in `b`, for the failure message.
fn missing<T: Ord + Clone>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> Vec<T> {
    a.difference(b).cloned().collect()
}

#[tokio::test]
async fn docs_and_openapi_list_the_same_routes_and_error_codes() {
    let app = spawn_app().await;
    let openapi: serde_json::Value = app.openapi().await;
    let doc = api_doc();

    let (documented, served) = (documented_routes(&doc), served_routes(&openapi));
    assert!(!documented.is_empty(), "no routes table in docs/API.md");
    assert!(
        documented == served,
        "routes only in docs/API.md: {:?}; only in /openapi.json: {:?}",
        missing(&documented, &served),
        missing(&served, &documented)
    );

    let (documented, served) = (documented_codes(&doc), served_codes(&openapi));
    assert!(!documented.is_empty(), "no error table in docs/API.md");
    assert!(
        documented == served,
        "error codes only in docs/API.md: {:?}; only in /openapi.json: {:?}",
        missing(&documented, &served),
        missing(&served, &documented)
    );
}

#[test]
fn tables_are_parsed_from_markdown() {
    let doc = "text\n\n| method | path | x |\n|---|---|---|\n| `GET` | `/a/{id}` | y |\n\
               | `POST` | `/a` | z |\n\nmore\n\n| code | status | meaning |\n|---|---|---|\n\
               | `NOT_FOUND` | 404 | gone |\n";
    assert_eq!(
        documented_routes(doc),
        BTreeSet::from([
            ("GET".to_owned(), "/a/{id}".to_owned()),
            ("POST".to_owned(), "/a".to_owned())
        ])
    );
    assert_eq!(
        documented_codes(doc),
        BTreeSet::from(["NOT_FOUND".to_owned()])
    );
}
