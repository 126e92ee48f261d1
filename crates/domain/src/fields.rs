//! Field rules (docs/API.md, Field rules): lengths in Unicode
//! characters, no control characters except newline, carriage return and tab.

use serde::Serialize;

pub const TITLE_MAX: usize = 255;
pub const DESCRIPTION_MAX: usize = 5000;
pub const ALT_TEXT_MAX: usize = 255;
pub const FILENAME_MAX: usize = 255;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 50;

/// One broken rule, reported in the error's `details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// A text field of at most `max` characters (`min` 0 or 1).
pub fn text(field: &str, value: String, min: usize, max: usize) -> Result<String, FieldError> {
    let chars = value.chars().count();
    if chars < min {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if chars > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value)
}

pub fn title(value: String) -> Result<String, FieldError> {
    text("title", value, 0, TITLE_MAX)
}

pub fn album_title(value: String) -> Result<String, FieldError> {
    text("title", value, 1, TITLE_MAX)
}

pub fn description(value: String) -> Result<String, FieldError> {
    text("description", value, 0, DESCRIPTION_MAX)
}

pub fn alt_text(value: String) -> Result<String, FieldError> {
    text("altText", value, 0, ALT_TEXT_MAX)
}

pub fn filename(value: String) -> Result<String, FieldError> {
    text("filename", value, 0, FILENAME_MAX)
}

/// At most 20 tags of 1..50 characters each.
pub fn tags(values: Vec<String>) -> Result<Vec<String>, FieldError> {
    if values.len() > TAGS_MAX {
        return Err(FieldError::new(
            "tags",
            format!("at most {TAGS_MAX} tags are allowed"),
        ));
    }
    values
        .into_iter()
        .map(|tag| text("tags", tag, 1, TAG_MAX))
        .collect()
}

/// `version` in a PATCH: a positive integer.
pub fn version(value: i64) -> Result<i64, FieldError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(FieldError::new("version", "must be a positive integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(title("é".repeat(255)).is_ok());
        assert!(title("é".repeat(256)).is_err());
        assert!(album_title(String::new()).is_err());
    }

    #[test]
    fn control_characters_are_refused_except_whitespace() {
        assert!(description("a\nb\r\n\tc".into()).is_ok());
        assert!(title("a\u{0}b".into()).is_err());
        assert!(title("a\u{1b}[31m".into()).is_err());
    }

    #[test]
    fn tags_are_bounded() {
        assert!(tags(vec!["a".into(); 20]).is_ok());
        assert!(tags(vec!["a".into(); 21]).is_err());
        assert!(tags(vec![String::new()]).is_err());
        assert!(tags(vec!["x".repeat(51)]).is_err());
    }
}
