//! `/readyz` is public and unlimited: however often it is called, the stores
//! are probed at most once a second (with S3 each probe is a paid request).

use std::time::Instant;

use futures::StreamExt as _;

use crate::support::spawn_app;

#[tokio::test]
async fn a_flood_of_readiness_checks_costs_one_probe_a_second() {
    let app = spawn_app().await;
    let started = Instant::now();
    futures::stream::iter(0..400)
        .for_each_concurrent(16, |_| async {
            let response = app.client.get(app.url("/readyz")).send().await.unwrap();
            assert_eq!(response.status(), 200);
        })
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let probes = app
        .metric("readiness_probes_total")
        .await
        .expect("readiness_probes_total is exported");
    assert!(
        probes <= seconds.ceil() + 1.0,
        "{probes} probes for 400 calls in {seconds:.2} s"
    );
}
