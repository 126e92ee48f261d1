//! `AppState`: everything a handler needs, chosen once at start-up from the
//! configuration. Ports are trait objects, so no handler knows the backend.

use std::sync::Arc;

use domain::{BlobStore, MetadataStore};

use crate::audit::AuditLog;
use crate::auth::Authenticator;
use crate::config::Config;
use crate::erasure::ErasureTags;
use crate::incident::IncidentControls;
use crate::limits::Limits;
use crate::processing::Processor;
use crate::signing::Signer;

pub struct App {
    pub config: Config,
    pub metadata: Arc<dyn MetadataStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub auth: Arc<Authenticator>,
    pub signer: Signer,
    pub processor: Processor,
    pub audit: AuditLog,
    /// Names erased users in the audit trail without their ids.
    pub erasure: ErasureTags,
    pub limits: Limits,
    /// Incident controls in force (read-only, uploads off, blocks, revocations).
    pub incident: Arc<IncidentControls>,
    /// The last probe of the stores, shared by `/readyz` calls.
    pub readiness: crate::readiness::ReadinessCache,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
