"""schemathesis hooks, loaded through `hooks` in schemathesis.toml.

Works around false positives of schemathesis 4.32.5 (pinned in
.ci/schemathesis.sh) on multipart bodies. To decide whether a negative body
became valid on the wire (an optional field mutated into `[]` sends no part at
all; a link from another response replaced the mutated field with a real id),
`_form_body_is_valid_as_sent` validates the fields the server received. It
gets two things wrong, and both turn into a reported ST201 although the server
received a valid form:

- file parts are validated as Python bytes, which jsonschema_rs refuses with
  an exception, read as "cannot tell";
- a repeated field (an array such as `tags`, sent one part per item) is
  validated as one of its strings instead of as the array.

This replacement reads file parts as the strings their schema (`type: string,
format: binary`) says they are and repeated parts of an array field as that
array; otherwise it is the original logic. Nothing else changes.
"""

try:
    from schemathesis.specs.openapi import checks as _checks
except ImportError:  # another schemathesis layout: leave it alone
    _checks = None

_original = getattr(_checks, "_form_body_is_valid_as_sent", None)


def _as_text(value):
    """A file part (`bytes`, or schemathesis' `Binary` wrapper) as text; other values as they are."""
    data = getattr(value, "data", value)
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).decode("latin-1")
    return value


def _is_array(schema):
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _form_body_is_valid_as_sent(response, case, media_type):
    body = case.body
    if not isinstance(body, dict):
        return False
    fields = _checks._sent_form_fields(response, media_type)
    if fields is None:
        return False
    alternative = case.operation.get_body_for_media_type(media_type)
    if alternative is None:
        return False
    schema = alternative.optimized_schema
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    names_are_exact = _checks.media_types.is_form_urlencoded(media_type)
    try:
        validator = _checks.make_validator(schema, _checks._get_openapi_schema(case).adapter.jsonschema_validator_cls)
        sent = {
            name: _as_text(value)
            for name, value in body.items()
            if name not in fields and not names_are_exact and value not in ([], {})
        }
        for name, texts in fields.items():
            if None in texts:
                if name in body:
                    sent[name] = _as_text(body[name])
                continue
            if _is_array(properties.get(name)):
                sent[name] = list(texts)
                continue
            readings = [reading for text in texts for reading in _checks._form_text_readings(text)]
            sent[name] = next(
                (r for r in readings if not _checks._has_errors_at(validator, {**sent, name: r}, name)),
                readings[0],
            )
        return validator.is_valid(sent)
    except Exception:
        return False


if _original is not None:
    _checks._form_body_is_valid_as_sent = _form_body_is_valid_as_sent
