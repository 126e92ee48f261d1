//! Records to store: valid, unique, with microsecond times (what stores keep).

use chrono::{DateTime, Duration, Utc};
use domain::{
    AlbumId, AlbumRecord, AuditEvent, ImageId, ImageRecord, OriginalInfo, UserId, VariantInfo,
};

/// Now, truncated to the microsecond precision every store keeps.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).expect("in range")
}

pub fn user(name: &str) -> UserId {
    UserId::new(name).expect("non-empty")
}

pub fn image(owner: &UserId, album: Option<AlbumId>) -> ImageRecord {
    let at = now();
    ImageRecord {
        id: ImageId::new(),
        user_id: owner.clone(),
        album_id: album,
        title: Some("Castle".into()),
        description: None,
        alt_text: Some("A grey castle".into()),
        tags: vec!["castle".into(), "moc".into()],
        display: VariantInfo {
            width: 2048,
            height: 1536,
            size: 524_288,
        },
        thumbnail: VariantInfo {
            width: 400,
            height: 300,
            size: 18_211,
        },
        original: OriginalInfo {
            content_type: "image/jpeg".into(),
            width: 4000,
            height: 3000,
            size: 3_145_728,
            filename: Some("castle.jpg".into()),
        },
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

pub fn album(owner: &UserId, created_at: DateTime<Utc>) -> AlbumRecord {
    AlbumRecord {
        id: AlbumId::new(),
        user_id: owner.clone(),
        title: "Space".into(),
        description: Some("Classic space".into()),
        image_count: 0,
        version: 1,
        created_at,
        updated_at: created_at,
    }
}

pub fn event(actor: &str, action: &str, target: Option<&str>, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        id: ulid::Ulid::new().to_string(),
        at,
        request_id: "req-1".into(),
        actor: actor.into(),
        action: action.parse().expect("a known audit action"),
        target: target.map(Into::into),
        outcome: domain::AuditOutcome::Success,
        changes: None,
    }
}

/// `base` plus `n` seconds.
pub fn later(base: DateTime<Utc>, n: i64) -> DateTime<Utc> {
    base + Duration::seconds(n)
}
