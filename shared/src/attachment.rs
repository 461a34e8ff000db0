//! Which files a report may carry: the type is decided by the content, and the file name's
//! extension must agree with it (ASVS 5.2.2).

use serde::{Deserialize, Serialize};

pub const MAX_ATTACHMENTS: usize = 5;
pub const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
pub const MAX_FILE_NAME_CHARS: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Png,
    Jpeg,
    Webp,
    Pdf,
    PlainText,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 5] = [
        AttachmentKind::Png,
        AttachmentKind::Jpeg,
        AttachmentKind::Webp,
        AttachmentKind::Pdf,
        AttachmentKind::PlainText,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Png => "png",
            AttachmentKind::Jpeg => "jpeg",
            AttachmentKind::Webp => "webp",
            AttachmentKind::Pdf => "pdf",
            AttachmentKind::PlainText => "plain_text",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            AttachmentKind::Png => "image/png",
            AttachmentKind::Jpeg => "image/jpeg",
            AttachmentKind::Webp => "image/webp",
            AttachmentKind::Pdf => "application/pdf",
            AttachmentKind::PlainText => "text/plain; charset=utf-8",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            AttachmentKind::Png => &["png"],
            AttachmentKind::Jpeg => &["jpg", "jpeg"],
            AttachmentKind::Webp => &["webp"],
            AttachmentKind::Pdf => &["pdf"],
            AttachmentKind::PlainText => &["txt", "log", "csv", "json"],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttachmentKind::Png => "PNG image",
            AttachmentKind::Jpeg => "JPEG image",
            AttachmentKind::Webp => "WebP image",
            AttachmentKind::Pdf => "PDF document",
            AttachmentKind::PlainText => "plain-text log",
        }
    }
}

/// The accepted types as the form's file picker hint (`accept` attribute).
pub const ACCEPT_ATTRIBUTE: &str = ".png,.jpg,.jpeg,.webp,.pdf,.txt,.log,.csv,.json";
pub const ALLOWED_TYPES_TEXT: &str = "PNG, JPEG, WebP, PDF or plain-text logs (.txt, .log, .csv, .json)";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentRefusal {
    #[error("{file_name} is empty")]
    Empty { file_name: String },
    #[error("{file_name} is larger than 10 MB")]
    TooLarge { file_name: String },
    #[error("{file_name} contains HTML, which cannot be attached; save it as a .txt file or take a screenshot")]
    Html { file_name: String },
    #[error("{file_name} is not an accepted file type: attach {ALLOWED_TYPES_TEXT}")]
    Unsupported { file_name: String },
    #[error("{file_name} is a {} but its name says otherwise; rename it to end in .{}", .actual.label(), .actual.extensions()[0])]
    ExtensionMismatch { file_name: String, actual: AttachmentKind },
    #[error("attach at most {MAX_ATTACHMENTS} files")]
    TooMany,
}

/// Decides a file's type from its bytes, then checks the name agrees.
pub fn classify(file_name: &str, bytes: &[u8]) -> Result<AttachmentKind, AttachmentRefusal> {
    let owned = || file_name.to_owned();
    if bytes.is_empty() {
        return Err(AttachmentRefusal::Empty { file_name: owned() });
    }
    if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentRefusal::TooLarge { file_name: owned() });
    }
    if looks_like_html(bytes) {
        return Err(AttachmentRefusal::Html { file_name: owned() });
    }
    let kind = match infer::get(bytes).map(|t| t.mime_type()) {
        Some("image/png") => AttachmentKind::Png,
        Some("image/jpeg") => AttachmentKind::Jpeg,
        Some("image/webp") => AttachmentKind::Webp,
        Some("application/pdf") => AttachmentKind::Pdf,
        Some(_) => return Err(AttachmentRefusal::Unsupported { file_name: owned() }),
        None if is_plain_text(bytes) => AttachmentKind::PlainText,
        None => return Err(AttachmentRefusal::Unsupported { file_name: owned() }),
    };
    let extension = file_name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    if kind.extensions().contains(&extension.as_str()) {
        Ok(kind)
    } else {
        Err(AttachmentRefusal::ExtensionMismatch { file_name: owned(), actual: kind })
    }
}

/// UTF-8 text without binary control bytes (tab, newlines, form feed and ESC are fine in logs).
fn is_plain_text(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).is_ok_and(|text| {
        !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}' | '\u{1b}'))
    })
}

/// The WHATWG MIME Sniffing standard's "HTML" patterns (section 7.1), plus XML and SVG, which
/// browsers also run scripts in.
fn looks_like_html(bytes: &[u8]) -> bool {
    const TAGS: [&[u8]; 19] = [
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
        b"<?XML",
        b"<SVG",
    ];
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let rest = &bytes[start..];
    TAGS.iter().any(|tag| {
        rest.len() > tag.len()
            && rest[..tag.len()].eq_ignore_ascii_case(tag)
            // The spec requires a tag-terminating byte after the pattern; XML declarations need none.
            && (tag.starts_with(b"<?") || matches!(rest[tag.len()], b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'\x0c'))
    })
}

/// A file name safe to show and to put in `Content-Disposition`: no path, no control characters,
/// no quotes, bounded length. The server never uses it as a storage path.
pub fn display_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | '<' | '>'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    let name = if cleaned.is_empty() { "attachment".to_owned() } else { cleaned };
    if name.chars().count() <= MAX_FILE_NAME_CHARS {
        return name;
    }
    // Keep the extension, which the type check relies on, and shorten the stem.
    let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
    let keep = MAX_FILE_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    format!("{}.{ext}", stem.chars().take(keep).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";

    #[test]
    fn accepts_each_allowed_type_by_content() {
        assert_eq!(classify("shot.png", PNG), Ok(AttachmentKind::Png));
        assert_eq!(classify("shot.JPG", b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), Ok(AttachmentKind::Jpeg));
        assert_eq!(classify("shot.webp", b"RIFF\x24\0\0\0WEBPVP8 "), Ok(AttachmentKind::Webp));
        assert_eq!(classify("evidence.pdf", PDF), Ok(AttachmentKind::Pdf));
        assert_eq!(classify("auth.log", b"2026-11-23 sshd: Failed password for root\n"), Ok(AttachmentKind::PlainText));
    }

    #[test]
    fn html_named_png_is_refused_as_html() {
        let html = b"  <!doctype html><script>alert(1)</script>";
        assert!(matches!(classify("cute.png", html), Err(AttachmentRefusal::Html { .. })));
        assert!(matches!(classify("x.txt", b"<svg onload=alert(1)>"), Err(AttachmentRefusal::Html { .. })));
        assert!(matches!(classify("x.log", b"<?xml version=\"1.0\"?><x/>"), Err(AttachmentRefusal::Html { .. })));
    }

    #[test]
    fn log_lines_that_merely_mention_tags_are_text() {
        assert_eq!(classify("app.log", b"GET /?q=<script> 200\n"), Ok(AttachmentKind::PlainText));
        assert_eq!(classify("app.log", b"<Bob> said hi"), Ok(AttachmentKind::PlainText), "<B needs a terminator");
    }

    #[test]
    fn refuses_other_types_binaries_and_mismatched_names() {
        assert!(matches!(classify("a.zip", b"PK\x03\x04\x14\0\0\0"), Err(AttachmentRefusal::Unsupported { .. })));
        assert!(matches!(classify("a.txt", b"\x7fELF\x02\x01\x01\0\0\0"), Err(AttachmentRefusal::Unsupported { .. })));
        assert!(matches!(classify("a.txt", b"ab\0cd"), Err(AttachmentRefusal::Unsupported { .. })));
        assert_eq!(
            classify("invoice.txt", PDF),
            Err(AttachmentRefusal::ExtensionMismatch { file_name: "invoice.txt".into(), actual: AttachmentKind::Pdf })
        );
        assert!(matches!(classify("empty.txt", b""), Err(AttachmentRefusal::Empty { .. })));
    }

    #[test]
    fn display_names_drop_paths_and_dangerous_characters() {
        assert_eq!(display_file_name("../../etc/passwd"), "passwd");
        assert_eq!(display_file_name("C:\\Users\\a\\shot.png"), "shot.png");
        assert_eq!(display_file_name("a\"; filename=evil.html\r\n.png"), "a filename=evil.html.png");
        assert_eq!(display_file_name("..."), "attachment");
        let long = format!("{}.log", "x".repeat(300));
        let shortened = display_file_name(&long);
        assert_eq!(shortened.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(shortened.ends_with(".log"));
    }
}
