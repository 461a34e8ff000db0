//! The one shape of email address Tocsin takes and sends to: a plain `local@domain.tld`.
//!
//! RFC 5322 allows far more (quoted local parts with spaces, commas and angle brackets, domain
//! literals, comments), and some of it turns into a broken or injected header on the way out:
//! `"a,b@evil.example"@example.com` is two recipients to a lax reader, and a local part shaped
//! like an encoded word (`=?utf-8?q?…?=`) is decoded by some mail clients into control
//! characters. So only a dot-atom local part of RFC 5322 `atext` is taken, never looking like an
//! encoded word, and a domain of letter-digit-hyphen labels ending in a letters-only top level.

/// RFC 5321's limits.
pub const ADDRESS_MAX: usize = 254;
const LOCAL_MAX: usize = 64;
const LABEL_MAX: usize = 63;

/// `atext` of RFC 5322 3.2.3: what a dot-atom's words are made of.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn local_part_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= LOCAL_MAX
        && local.split('.').all(|word| !word.is_empty() && word.chars().all(is_atext))
        && !local.contains("=?")
}

fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= LABEL_MAX
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top_ok = labels.last().is_some_and(|top| top.len() >= 2 && top.chars().all(|c| c.is_ascii_alphabetic()));
    labels.len() >= 2 && labels.iter().all(label_ok) && top_ok
}

/// `raw`, trimmed, if it is an address of that shape; `None` otherwise.
pub fn plain_address(raw: &str) -> Option<&str> {
    let text = raw.trim();
    let (local, domain) = text.rsplit_once('@')?;
    (text.len() <= ADDRESS_MAX && local_part_ok(local) && domain_ok(domain)).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::plain_address;

    #[test]
    fn only_plain_addresses_are_taken() {
        for good in ["ann@example.com", "a.b+tag@mail.example.co.uk", "o'neil@example.ie", "x-1@sub-1.example.org"] {
            assert_eq!(plain_address(&format!("  {good} ")), Some(good), "{good}");
        }
        for bad in [
            "\"<script>alert(1)</script>\"@example.com",
            "\"a,b@evil.example\"@example.com",
            "=?utf-8?q?a=0D=0A?=@example.com",
            "Ann <ann@example.com>",
            "ann@[127.0.0.1]",
            "ann@localhost",
            "ann@example.c0m",
            "ann..b@example.com",
            ".ann@example.com",
            "ann@-example.com",
            "ann@example.com\r\nBcc: x@evil.example",
            "ann@exämple.com",
            "änn@example.com",
            "ann@@example.com",
            "",
        ] {
            assert_eq!(plain_address(bad), None, "{bad:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(plain_address(&long_local), None);
    }
}
