//! `SMTP_URL` and `SMTP_FROM`: the mail server admin broadcasts go through. Unset, email is
//! off and the broadcast route answers 503. Only `smtp://` (plain SMTP, e.g. a local relay)
//! is supported; a password is refused for a server that is not on loopback, so it never
//! crosses a network in clear text.

use std::fmt;

use super::{ConfigError, Secret};

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
    /// The sender address (`SMTP_FROM`).
    pub from: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .finish()
    }
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A plausible single address: something@something, no spaces, angle brackets or line breaks.
pub fn plausible_address(addr: &str) -> bool {
    let ok_chars = !addr
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    matches!(addr.split_once('@'), Some((l, d)) if !l.is_empty() && (d.contains('.') || d == "localhost"))
        && ok_chars
}

/// Both unset: `None`. `SMTP_URL` without a valid `SMTP_FROM` (or the reverse) fails at boot.
pub fn parse_smtp(
    url: Option<String>,
    from: Option<String>,
) -> Result<Option<SmtpConfig>, ConfigError> {
    let Some(url) = url else {
        if from.is_some() {
            return Err(ConfigError("SMTP_FROM is set but SMTP_URL is not".into()));
        }
        return Ok(None);
    };
    let bad = |why: &str| {
        ConfigError(format!(
            "SMTP_URL {why} (expected smtp://[user:password@]host[:port])"
        ))
    };
    let parsed = reqwest::Url::parse(&url).map_err(|_| bad("is not a URL"))?;
    if parsed.scheme() != "smtp" {
        return Err(bad(
            "must start with smtp:// (implicit TLS is not supported; use a local relay)",
        ));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("has no host"))?
        .to_string();
    let username = Some(percent_decode(parsed.username())).filter(|u| !u.is_empty());
    let password = parsed.password().map(percent_decode);
    if password.is_some() && !is_loopback(&host) {
        return Err(bad(
            "carries a password for a server that is not on loopback; plain SMTP would send it in clear text",
        ));
    }
    let from = from
        .map(|f| f.trim().to_string())
        .filter(|f| plausible_address(f))
        .ok_or_else(|| {
            ConfigError("SMTP_FROM must be one email address when SMTP_URL is set".into())
        })?;
    Ok(Some(SmtpConfig {
        port: parsed.port().unwrap_or(25),
        host,
        username,
        password: password.map(Secret::new),
        from,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_credentials_only_on_loopback() {
        let c = parse_smtp(
            Some("smtp://bot%40x:p%25ss@127.0.0.1:2525".into()),
            Some("noreply@amarktai.test".into()),
        )
        .unwrap()
        .unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 2525));
        assert_eq!(c.username.as_deref(), Some("bot@x"));
        assert_eq!(
            c.password.as_ref().map(|p| p.expose().as_str()),
            Some("p%ss")
        );
        assert!(!format!("{c:?}").contains("p%ss"));
        let relay = parse_smtp(
            Some("smtp://mail.example.com".into()),
            Some("a@b.co".into()),
        );
        assert_eq!(relay.unwrap().unwrap().port, 25);
        for (url, from) in [
            ("smtp://u:p@mail.example.com", "a@b.co"),
            ("smtps://mail.example.com", "a@b.co"),
            ("mail.example.com", "a@b.co"),
            ("smtp://localhost", "not an address"),
        ] {
            assert!(
                parse_smtp(Some(url.into()), Some(from.into())).is_err(),
                "{url}"
            );
        }
        assert!(parse_smtp(None, None).unwrap().is_none());
        assert!(parse_smtp(None, Some("a@b.co".into())).is_err());
    }
}
