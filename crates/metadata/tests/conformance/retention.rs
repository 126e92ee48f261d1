//! Audit retention through the port: a checkpoint, then the events behind it
//! deleted; the rest verifies from the checkpoint; the checkpoint only moves
//! forward; the head is the newest event.

use std::sync::Arc;

use domain::audit_chain::{Checkpoint, to_hex};
use domain::{ChainVerifier, MetadataStore};

use crate::fixtures::{event, now};

fn checkpoint_at(seq: i64, hash: &str, pruned: u64) -> Checkpoint {
    Checkpoint {
        seq,
        hash: hash.to_owned(),
        at: now(),
        by: "cli:test".to_owned(),
        pruned,
    }
}

pub async fn audit_prune_keeps_a_verifiable_rest(store: Arc<dyn MetadataStore>) {
    assert!(store.audit_checkpoint().await.unwrap().is_none());
    assert!(store.audit_head().await.unwrap().is_none());
    for n in 0..5 {
        let target = format!("img-{n}");
        store
            .append_audit(&event("alice", "image.create", Some(&target), now()))
            .await
            .unwrap();
    }
    let links = store.audit_chain(0, 10).await.unwrap();
    let head = store.audit_head().await.unwrap().expect("a head");
    assert_eq!(head, (5, links[4].hash.clone()));

    let cut = checkpoint_at(3, &links[2].hash, 3);
    assert_eq!(store.prune_audit(&cut).await.unwrap(), 3);
    assert_eq!(store.audit_checkpoint().await.unwrap(), Some(cut.clone()));
    let kept = store.audit_chain(0, 10).await.unwrap();
    assert_eq!(kept.iter().map(|l| l.seq).collect::<Vec<_>>(), [4, 5]);
    let mut verifier = ChainVerifier::after(&cut).unwrap();
    for link in &kept {
        verifier.check(link).unwrap();
    }
    assert_eq!((verifier.last_seq(), to_hex(&verifier.head_hash())), head);
    // A checkpoint whose hash is not the first kept event's link fails.
    let mut wrong = ChainVerifier::after(&checkpoint_at(3, &links[1].hash, 3)).unwrap();
    assert!(wrong.check(&kept[0]).is_err());

    // Pruning again to the same place deletes nothing; backwards is refused.
    assert_eq!(store.prune_audit(&cut).await.unwrap(), 0);
    assert!(
        store
            .prune_audit(&checkpoint_at(1, &links[0].hash, 1))
            .await
            .is_err()
    );
    assert_eq!(store.audit_checkpoint().await.unwrap(), Some(cut));
    // Appending goes on from the head.
    store
        .append_audit(&event("bob", "image.create", None, now()))
        .await
        .unwrap();
    assert_eq!(store.audit_head().await.unwrap().unwrap().0, 6);
}
