//! Which field a deserialisation error is about, so a `VALIDATION_ERROR`
//! names it in `details` instead of blaming the whole body or query.

/// The field serde names in a missing-, unknown- or duplicate-field message
/// (`missing field `version``), if it is one of those.
pub fn named_in_message(message: &str) -> Option<&str> {
    ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.split_once(prefix))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name)
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::named_in_message;

    #[test]
    fn names_come_from_serde_messages() {
        assert_eq!(named_in_message("missing field `version`"), Some("version"));
        assert_eq!(
            named_in_message("unknown field `owner`, expected one of `title`"),
            Some("owner")
        );
        assert_eq!(named_in_message("duplicate field `limit`"), Some("limit"));
        assert_eq!(named_in_message("expected value"), None);
    }
}
