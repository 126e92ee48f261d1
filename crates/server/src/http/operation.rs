//! Which per-user quota a request counts against, decided from its method
//! and path here so the limits themselves know nothing of HTTP.

use axum::http::Method;

use crate::limits::Operation;

/// `POST /images` is an upload, other POSTs and PATCHes updates, GETs reads,
/// DELETEs deletes; anything else is not counted per user.
pub fn operation_of(method: &Method, path: &str) -> Option<Operation> {
    match *method {
        Method::GET | Method::HEAD => Some(Operation::Read),
        Method::POST if path == "/images" => Some(Operation::Upload),
        Method::POST | Method::PATCH | Method::PUT => Some(Operation::Update),
        Method::DELETE => Some(Operation::Delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_by_method_and_path() {
        assert_eq!(
            operation_of(&Method::POST, "/images"),
            Some(Operation::Upload)
        );
        assert_eq!(
            operation_of(&Method::POST, "/albums"),
            Some(Operation::Update)
        );
        assert_eq!(
            operation_of(&Method::GET, "/files/x"),
            Some(Operation::Read)
        );
        assert_eq!(
            operation_of(&Method::DELETE, "/images/x"),
            Some(Operation::Delete)
        );
        assert_eq!(operation_of(&Method::OPTIONS, "/images"), None);
    }
}
