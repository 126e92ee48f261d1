//! Fault injection for the tests that prove internal faults are answered as
//! such (500, not 400). Debug builds only: in a release build [`injected`] is
//! a constant `false` and the environment is never read, so nothing can
//! switch a fault on in production.
//!
//! `IMAGE_PIPELINE_FAULT` names one fault: `encoder` (libwebp refuses to
//! encode), `display-encoder` (only the display encode fails, after the
//! thumbnail was handed over), `out-of-memory` (a pixel buffer cannot be allocated), `panic` (the
//! worker panics) or `resizer` (the resizer fails). It is deliberately not an
//! `IMAGE_SERVICE_*` setting: configuration refuses unknown keys of that prefix.

/// A fault the tests can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Encoder,
    DisplayEncoder,
    OutOfMemory,
    Panic,
    Resizer,
}

/// Whether `fault` was asked for through `IMAGE_PIPELINE_FAULT`.
#[cfg(debug_assertions)]
pub(crate) fn injected(fault: Fault) -> bool {
    static CHOSEN: std::sync::OnceLock<Option<Fault>> = std::sync::OnceLock::new();
    let chosen =
        CHOSEN.get_or_init(
            || match std::env::var("IMAGE_PIPELINE_FAULT").ok()?.as_str() {
                "encoder" => Some(Fault::Encoder),
                "display-encoder" => Some(Fault::DisplayEncoder),
                "out-of-memory" => Some(Fault::OutOfMemory),
                "panic" => Some(Fault::Panic),
                "resizer" => Some(Fault::Resizer),
                _ => None,
            },
        );
    *chosen == Some(fault)
}

#[cfg(not(debug_assertions))]
pub(crate) const fn injected(_fault: Fault) -> bool {
    false
}
