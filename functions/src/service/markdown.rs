//! Notes are Markdown. They render to HTML with any raw HTML shown as text and only safe link
//! targets kept, so a note can never run script in a teammate's browser.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Link and image targets that stay: web, mail, and in-page or relative links.
fn safe_destination(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    match lower.split_once(':') {
        Some((scheme, _)) if !scheme.contains(['/', '?', '#']) => matches!(scheme, "http" | "https" | "mailto"),
        _ => true,
    }
}

pub fn render_note(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        // Images would load from anywhere; a link to them is enough.
        Event::Start(Tag::Image { link_type, dest_url, title, id })
        | Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let dest_url = if safe_destination(&dest_url) { dest_url } else { CowStr::Borrowed("#") };
            Event::Start(Tag::Link { link_type, dest_url, title, id })
        }
        Event::End(pulldown_cmark::TagEnd::Image) => Event::End(pulldown_cmark::TagEnd::Link),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_text_and_markdown_still_renders() {
        let out = render_note(
            "**Blocked** `10.0.0.1`\n\n<script>alert(1)</script>\n\nInline <img src=x onerror=alert(1)> too",
        );
        assert!(out.contains("<strong>Blocked</strong>"), "{out}");
        assert!(out.contains("<code>10.0.0.1</code>"), "{out}");
        assert!(!out.contains("<script") && !out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn only_safe_links_survive_and_images_become_links() {
        let out = render_note(
            "[a](javascript:alert(1)) [b](JavaScript:alert(1)) [c](https://example.com) [d](/dashboard) ![e](data:image/png;base64,AAAA)",
        );
        assert!(!out.to_lowercase().contains("javascript:"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        assert!(out.contains(r#"href="https://example.com""#) && out.contains(r#"href="/dashboard""#), "{out}");
        assert!(!out.contains("<img"), "{out}");
    }
}
