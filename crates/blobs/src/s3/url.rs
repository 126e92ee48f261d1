//! Parsing `s3://BUCKET?region=R&endpoint=URL&path_style=true`.

/// The pieces of an `s3://` blob URL. Holds no credentials: those come from
/// the usual AWS environment variables and files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// `true` for most self-hosted servers (MinIO, s3s, garage): `endpoint/bucket/key`.
    pub path_style: bool,
}

impl S3Url {
    /// `rest` is what follows `s3://`. Unknown parameters are refused so a typo
    /// does not silently talk to the wrong place.
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
        let bucket = bucket.trim_end_matches('/');
        if bucket.is_empty() || bucket.contains('/') {
            return Err("expected s3://BUCKET[?region=R&endpoint=URL&path_style=true]".into());
        }
        let mut url = Self {
            bucket: bucket.to_owned(),
            region: None,
            endpoint: None,
            path_style: false,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value =
                percent_decode(value).ok_or_else(|| format!("bad percent-encoding in {name}"))?;
            match name {
                "region" => url.region = Some(value),
                "endpoint" => url.endpoint = Some(value),
                "path_style" => {
                    url.path_style = match value.as_str() {
                        "true" | "1" | "" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(format!("path_style must be true or false, not {value:?}"));
                        }
                    }
                }
                other => return Err(format!("unknown parameter {other:?}")),
            }
        }
        Ok(url)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_form() {
        let url = S3Url::parse(
            "photos?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1:9000&path_style=true",
        )
        .unwrap();
        assert_eq!(url.bucket, "photos");
        assert_eq!(url.region.as_deref(), Some("eu-west-1"));
        assert_eq!(url.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(url.path_style);
        assert_eq!(S3Url::parse("b").unwrap().endpoint, None);
        assert!(S3Url::parse("").is_err());
        assert!(S3Url::parse("b?regoin=x").is_err());
        assert!(S3Url::parse("b/extra").is_err());
    }
}
