//! Server-rendered HTML as plain Rust: every value written into a page goes through
//! [`escape`] (the [`Html`] builder escapes by default; only the page's own markup is
//! written raw). No script anywhere; one stylesheet from the binary.

use std::fmt::Write as _;

/// `text` with `& < > " '` replaced by character references: safe in element content and
/// in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page being written.
#[derive(Debug, Default)]
pub struct Html {
    body: String,
}

impl Html {
    /// An empty page body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends markup written by this program (never a value from outside).
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.body.push_str(markup);
        self
    }

    /// Appends `text`, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&escape(text));
        self
    }

    /// Appends `<tag>text</tag>` (`tag` written by this program; `text` escaped).
    pub fn element(&mut self, tag: &str, text: &str) -> &mut Self {
        let _ = write!(self.body, "<{tag}>{}</{tag}>", escape(text));
        self
    }

    /// The hidden CSRF field of a form.
    pub fn csrf_field(&mut self, csrf: &str) -> &mut Self {
        let _ = write!(
            self.body,
            r#"<input type="hidden" name="csrf" value="{}">"#,
            escape(csrf)
        );
        self
    }

    /// The body written so far.
    pub fn into_body(self) -> String {
        self.body
    }
}

/// What the navigation shows: who is logged in, and the CSRF token for the logout form.
pub struct Nav<'a> {
    /// The officer's name.
    pub username: &'a str,
    /// The officer's number.
    pub officer_id: i64,
    /// The officer's role name.
    pub role: &'a str,
    /// The session's CSRF token.
    pub csrf: &'a str,
}

/// A whole document: `title`, the navigation when logged in, and `body` (already HTML).
pub fn document(title: &str, nav: Option<&Nav<'_>>, body: &str) -> String {
    let mut page = Html::new();
    page.raw(r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">"#)
        .raw(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
        .raw(r#"<meta name="referrer" content="no-referrer">"#)
        .raw(r#"<link rel="stylesheet" href="/static/console.css">"#)
        .element("title", &format!("{title} · selfreport console"))
        .raw("</head><body><header><span class=\"brand\">selfreport console</span>");
    if let Some(nav) = nav {
        page.raw("<nav>");
        match nav.role {
            "auditor" => {
                page.raw(r#"<a href="/audit">Audit log</a>"#);
            }
            "supervisor" => {
                page.raw(r#"<a href="/cases">Cases</a> <a href="/reveals">Reveals</a> <a href="/aggregates">Aggregates</a>"#);
            }
            _ => {
                page.raw(r#"<a href="/cases">Cases</a>"#);
            }
        }
        page.raw(r#"</nav><form class="logout" method="post" action="/logout">"#)
            .raw("<span>")
            .text(&format!(
                "{} (officer no. {}, {})",
                nav.username, nav.officer_id, nav.role
            ))
            .raw("</span>")
            .csrf_field(nav.csrf)
            .raw(r#"<button type="submit">Log out</button></form>"#);
    }
    page.raw("</header><main>")
        .element("h1", title)
        .raw(body)
        .raw("</main></body></html>");
    page.into_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_everywhere() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let page = document(
            "<b>title</b>",
            Some(&Nav {
                username: "a\"><script>",
                officer_id: 7,
                role: "officer",
                csrf: "\"><x",
            }),
            "",
        );
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<b>title"), "{page}");
        assert!(!page.contains("\"><x"), "{page}");
    }
}
