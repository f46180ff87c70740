//! Deterministic XML writer for server → agent messages: a tiny [`Node`] tree rendered with
//! every text and attribute value escaped.
//!
//! Inputs: typed values built by the service modules (trusted to be well-typed, not to be free of
//! markup characters — everything is escaped here). The only unescaped output is
//! `Node::raw_attr`, used for correlators that were already validated as escaped attribute
//! text by the parser (pnp.md §1.5: echo byte for byte).

/// An element to render: name, attributes in insertion order, then text and children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    content: Vec<Content>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Content {
    Text(String),
    Child(Node),
}

impl Node {
    /// An empty element.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            attrs: Vec::new(),
            content: Vec::new(),
        }
    }

    /// Adds an attribute; the value is escaped on output.
    pub fn attr(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        let escaped = escape(value.as_ref(), true);
        self.attrs.push((name, escaped));
        self
    }

    /// Adds an attribute when the value is present.
    pub fn opt_attr(self, name: &'static str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    /// Adds an attribute whose value is already escaped attribute text (no `"` or `<`).
    pub(crate) fn raw_attr(mut self, name: &'static str, escaped: &str) -> Self {
        self.attrs.push((name, escaped.to_owned()));
        self
    }

    /// Adds escaped text.
    pub fn text(mut self, text: impl AsRef<str>) -> Self {
        self.content
            .push(Content::Text(escape(text.as_ref(), false)));
        self
    }

    /// Adds a child element.
    pub fn child(mut self, child: Self) -> Self {
        self.content.push(Content::Child(child));
        self
    }

    /// Adds a child element when present.
    pub fn opt_child(self, child: Option<Self>) -> Self {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    /// Adds `<name>text</name>` when the text is present.
    pub fn opt_text_child(self, name: &'static str, text: Option<impl AsRef<str>>) -> Self {
        match text {
            Some(t) => self.child(Self::new(name).text(t)),
            None => self,
        }
    }

    /// Adds `<name>text</name>`.
    pub fn text_child(self, name: &'static str, text: impl AsRef<str>) -> Self {
        self.child(Self::new(name).text(text))
    }

    /// Renders the element into a string.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        out.push('<');
        out.push_str(self.name);
        for (name, value) in &self.attrs {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(value);
            out.push('"');
        }
        if self.content.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for item in &self.content {
            match item {
                Content::Text(t) => out.push_str(t),
                Content::Child(c) => c.render_into(out),
            }
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }
}

/// Escapes `&`, `<`, `>` (and in attributes `"`, `'` and line breaks/tabs, which attribute
/// normalisation would otherwise turn into spaces).
pub fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders a boolean the way the XSDs spell it.
pub fn xml_bool(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}
