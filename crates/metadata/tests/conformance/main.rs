//! The metadata conformance suite: written once, every case run against every backend.
//!
//! SQLite runs in a temporary directory. PostgreSQL runs against
//! `IMAGE_SERVICE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`),
//! each case in a schema of its own that is dropped afterwards. DynamoDB runs
//! against `IMAGE_SERVICE_TEST_DYNAMODB_ENDPOINT` (default `http://127.0.0.1:8000`,
//! dynalite from `scripts/start-dynalite.sh`), each case in a table of its own;
//! see `dynamo.rs` for when those cases skip.

mod albums;
mod audit;
mod backends;
mod controls;
mod dynamo;
mod erase;
mod fixtures;
mod images;
mod paging;
mod retention;
mod scan;

/// Instantiates each `module::case` once per backend, as `<backend>::<case>`.
macro_rules! conformance {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::backends::run(crate::backends::Kind::Sqlite, crate::$module::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::backends::run(crate::backends::Kind::Postgres, crate::$module::$case).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::backends::run(crate::backends::Kind::DynamoDb, crate::$module::$case).await;
                }
            )*
        }
    };
}

conformance! {
    controls::controls_are_set_replaced_and_removed,
    retention::audit_prune_keeps_a_verifiable_rest,
    images::ping_answers,
    images::image_crud,
    images::insert_with_unknown_album_is_missing_reference,
    images::update_to_unknown_album_is_missing_reference,
    images::update_of_missing_image_is_not_found,
    images::stale_version_conflicts,
    images::concurrent_updates_exactly_one_wins,
    paging::images_page_ascending,
    paging::images_page_descending,
    paging::images_page_within_album,
    paging::albums_page_both_orders,
    scan::list_all_walks_every_users_rows_once,
    scan::list_all_of_an_empty_store_is_empty,
    albums::album_crud,
    albums::album_counts_images,
    albums::album_delete_detaches_images,
    audit::audit_round_trips,
    audit::audit_filters,
    audit::audit_pages_by_id,
    audit::audit_chain_links_in_seq_order,
    audit::audit_chain_survives_concurrent_appends,
    audit::audit_redaction_keeps_the_chain_verifiable,
    audit::audit_redaction_of_an_unknown_user_is_a_no_op,
    erase::erasing_a_user_leaves_nothing_of_theirs,
}
