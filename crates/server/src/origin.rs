//! Allowed CORS origins as configured: exact (`https://app.example.com`) or a
//! wildcard over subdomains (`https://*.example.com`). Parsed when the
//! configuration is checked and matched by the CORS middleware.

/// One configured origin: exact, or a wildcard over subdomains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    /// Lower-case host; for a wildcard the part after `*.`.
    host: String,
    port: Option<u16>,
    wildcard: bool,
}

impl OriginPattern {
    pub fn parse(pattern: &str) -> Option<Self> {
        let (scheme, host, port) = split_origin(pattern)?;
        let (host, wildcard) = match host.strip_prefix("*.") {
            Some(rest) => (rest.to_owned(), true),
            None => (host, false),
        };
        if host.is_empty() || host.contains('*') {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port,
            wildcard,
        })
    }

    pub fn matches(&self, origin: &str) -> bool {
        let Some((scheme, host, port)) = split_origin(origin) else {
            return false;
        };
        if scheme != self.scheme || port != self.port || host.contains('*') {
            return false;
        }
        if self.wildcard {
            host.strip_suffix(&self.host)
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        } else {
            host == self.host
        }
    }
}

/// `scheme://host[:port]` with nothing after it; host lower-cased.
fn split_origin(origin: &str) -> Option<(String, String, Option<u16>)> {
    let (scheme, rest) = origin.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '?', '#', '@'])
    {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
            (host, Some(port.parse::<u16>().ok()?))
        }
        _ => (rest, None),
    };
    let valid = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.*[]:".contains(&b));
    valid.then(|| (scheme.to_owned(), host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_subdomains_only() {
        let p = OriginPattern::parse("https://*.example.com").unwrap();
        assert!(p.matches("https://app.example.com"));
        assert!(p.matches("https://a.b.example.com"));
        assert!(!p.matches("https://example.com"));
        assert!(!p.matches("https://example.com.evil.net"));
        assert!(!p.matches("https://evilexample.com"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com:8443"));
    }

    #[test]
    fn exact_origins_compare_scheme_host_and_port() {
        let p = OriginPattern::parse("http://localhost:3002").unwrap();
        assert!(p.matches("http://localhost:3002"));
        assert!(p.matches("http://LOCALHOST:3002"));
        assert!(!p.matches("http://localhost:3003"));
        assert!(!p.matches("http://localhost:3002/path"));
        assert!(OriginPattern::parse("*").is_none());
        assert!(OriginPattern::parse("https://*").is_none());
    }
}
