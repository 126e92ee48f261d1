//! The Image Service domain: identifiers, entities, field rules and the storage ports.
//!
//! Nothing here knows about HTTP, SQL or any cloud SDK; adapters implement the
//! ports in `ports` and the server wires them together.

pub mod album;
pub mod audit;
pub mod audit_chain;
pub mod fields;
pub mod ids;
pub mod image;
pub mod incident;
pub mod keys;
pub mod page;
pub mod ports;
pub mod private_fs;
pub mod retry;

pub use album::AlbumRecord;
pub use audit::{AuditAction, AuditEvent, AuditFilter, AuditOutcome};
pub use audit_chain::{ChainBreak, ChainVerifier, ChainedAuditEvent, EventSeal, FieldSeal};
pub use ids::{AlbumId, ImageId, UserId};
pub use image::{ImageRecord, OriginalInfo, VariantInfo};
pub use incident::{ControlChange, ControlEntry, Controls, Revocation, Switch};
pub use page::ScanPage;
pub use page::{AlbumCursor, PageRequest, SortOrder};
pub use ports::{BlobStore, MetadataStore, StoreError, StoreResult};
pub use retry::{Budget, RetryPolicy};
