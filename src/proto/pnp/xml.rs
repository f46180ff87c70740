//! Bounded XML reader: turns an agent's body into a small namespace-resolved [`Element`] tree.
//!
//! Inputs: untrusted bytes. Before and while reading it enforces [`MAX_BODY_BYTES`],
//! [`MAX_DEPTH`], [`MAX_ELEMENTS`] and [`MAX_ATTRIBUTES`]; it refuses any DTD and every entity
//! reference other than the five predefined ones and character references (no expansion, so no
//! entity bombs). Names are resolved to `{namespace}local` as pnp.md §2.1 advises; prefixes and
//! attribute order never matter. Attribute values are kept both raw (for byte-exact echo of the
//! correlator, pnp.md §1.5) and unescaped.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::error::{ParseError, truncated};

/// Largest accepted body (pnp.md bodies are a few KiB; device-info `all` is the largest).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Deepest accepted element nesting (real messages nest about 8 deep).
pub const MAX_DEPTH: usize = 24;
/// Most elements accepted in one body.
pub const MAX_ELEMENTS: usize = 2048;
/// Most attributes accepted in one body (namespace declarations included).
pub const MAX_ATTRIBUTES: usize = 2048;

/// One attribute: qualified name, raw (still escaped) value and unescaped value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Name as written, e.g. `correlator` or `xsi:type`.
    pub name: String,
    /// Value exactly as on the wire, entity references not expanded.
    pub raw: String,
    /// Value with the predefined and character references expanded.
    pub value: String,
}

/// A parsed element: resolved namespace, local name, attributes, trimmed text and children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI (empty when the element is in no namespace).
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Attributes other than namespace declarations.
    pub attrs: Vec<Attr>,
    /// Concatenated character data of this element (not of its children), trimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Self>,
}

impl Element {
    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child with this local name in this element's own namespace.
    pub fn child(&self, name: &str) -> Option<&Self> {
        self.children.iter().find(|c| c.is(&self.ns, name))
    }

    /// All children with this local name in this element's own namespace.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Self> + 'a {
        self.children.iter().filter(move |c| c.is(&self.ns, name))
    }

    /// The child, or [`ParseError::MissingElement`].
    pub fn require(&self, name: &'static str) -> Result<&Self, ParseError> {
        self.child(name).ok_or(ParseError::MissingElement { name })
    }

    /// Trimmed text of the named child, if present.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.clone())
    }

    /// Unescaped value of an unprefixed attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Raw (escaped, as on the wire) value of an unprefixed attribute.
    pub fn attr_raw(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.raw.as_str())
    }
}

/// Parses a body into its root element, enforcing every limit of this module.
pub fn parse_document(body: &[u8]) -> Result<Element, ParseError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ParseError::TooLarge {
            limit: MAX_BODY_BYTES,
            actual: body.len(),
        });
    }
    let text = std::str::from_utf8(body).map_err(|e| ParseError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Builder::default().run(text)
}

/// Expands the five predefined entities and character references; refuses everything else.
pub fn unescape(raw: &str) -> Result<String, ParseError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        let Some(semi) = after.find(';') else {
            return Err(ParseError::Entity {
                name: truncated(after),
            });
        };
        out.push(resolve_reference(after.get(..semi).unwrap_or_default())?);
        rest = after.get(semi + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve_reference(name: &str) -> Result<char, ParseError> {
    let bad = || ParseError::BadCharRef {
        reference: truncated(name),
    };
    let code = if let Some(hex) = name.strip_prefix("#x") {
        u32::from_str_radix(hex, 16).map_err(|_| bad())?
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse::<u32>().map_err(|_| bad())?
    } else {
        return match name {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(ParseError::Entity {
                name: truncated(name),
            }),
        };
    };
    char::from_u32(code).filter(|c| *c != '\0').ok_or_else(bad)
}

/// A partially built element and the namespace bindings it declared.
struct Open {
    element: Element,
    bindings: usize,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// In-scope namespace bindings: (prefix, URI); prefix "" is the default namespace.
    scope: Vec<(String, String)>,
    elements: usize,
    attributes: usize,
    root: Option<Element>,
    /// Byte offset of the event being handled, for error reports.
    offset: u64,
}

impl Builder {
    fn run(mut self, text: &str) -> Result<Element, ParseError> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_comments = true;
        loop {
            self.offset = reader.buffer_position();
            let event = reader.read_event().map_err(|e| ParseError::Malformed {
                offset: reader.error_position(),
                reason: truncated(&e.to_string()),
            })?;
            match event {
                Event::Start(start) => self.open(&start)?,
                Event::Empty(start) => {
                    self.open(&start)?;
                    self.close()?;
                }
                Event::End(_) => self.close()?,
                Event::Text(t) => self.push_text(&t.into_inner())?,
                Event::CData(c) => self.push_text_raw(&c.into_inner())?,
                Event::GeneralRef(r) => {
                    let c = resolve_reference(&r.into_inner())?;
                    self.push_text_raw(c.encode_utf8(&mut [0; 4]))?;
                }
                Event::DocType(_) => return Err(ParseError::Dtd),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            self.offset = text.len() as u64;
            return Err(self.malformed("unclosed element"));
        }
        self.root.ok_or(ParseError::Empty)
    }

    fn open(&mut self, start: &BytesStart<'_>) -> Result<(), ParseError> {
        if self.root.is_some() {
            return Err(self.malformed("content after the root element"));
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(ParseError::TooManyElements {
                limit: MAX_ELEMENTS,
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError::TooDeep { limit: MAX_DEPTH });
        }
        let mut attrs = Vec::new();
        let mut bindings = 0;
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.malformed(&e.to_string()))?;
            self.attributes += 1;
            if self.attributes > MAX_ATTRIBUTES {
                return Err(ParseError::TooManyAttributes {
                    limit: MAX_ATTRIBUTES,
                });
            }
            let name = attr.key.0.to_owned();
            let raw = attr.value.into_owned();
            let value = unescape(&raw)?;
            if name == "xmlns" {
                self.scope.push((String::new(), value));
                bindings += 1;
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                self.scope.push((prefix.to_owned(), value));
                bindings += 1;
            } else {
                attrs.push(Attr { name, raw, value });
            }
        }
        let qname = start.name().0;
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (Some(p.to_owned()), l.to_owned()),
            None => (None, qname.to_owned()),
        };
        let ns = self.resolve(prefix.as_deref().unwrap_or_default(), prefix.is_some())?;
        let element = Element {
            ns,
            name: local,
            attrs,
            ..Element::default()
        };
        self.stack.push(Open { element, bindings });
        Ok(())
    }

    fn malformed(&self, reason: &str) -> ParseError {
        ParseError::Malformed {
            offset: self.offset,
            reason: truncated(reason),
        }
    }

    fn resolve(&self, prefix: &str, prefixed: bool) -> Result<String, ParseError> {
        match self.scope.iter().rev().find(|(p, _)| p == prefix) {
            Some((_, uri)) => Ok(uri.clone()),
            None if !prefixed => Ok(String::new()),
            None => Err(ParseError::UnboundPrefix {
                prefix: truncated(prefix),
            }),
        }
    }

    fn close(&mut self) -> Result<(), ParseError> {
        let Some(mut open) = self.stack.pop() else {
            return Err(self.malformed("unexpected end tag"));
        };
        self.scope
            .truncate(self.scope.len().saturating_sub(open.bindings));
        let trimmed = open.element.text.trim();
        if trimmed.len() != open.element.text.len() {
            open.element.text = trimmed.to_owned();
        }
        match self.stack.last_mut() {
            Some(parent) => parent.element.children.push(open.element),
            None => self.root = Some(open.element),
        }
        Ok(())
    }

    fn push_text(&mut self, escaped: &str) -> Result<(), ParseError> {
        let text = unescape(escaped)?;
        self.push_text_raw(&text)
    }

    fn push_text_raw(&mut self, text: &str) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            Some(open) => open.element.text.push_str(text),
            None if text.trim().is_empty() => {}
            None => return Err(self.malformed("text outside the root element")),
        }
        Ok(())
    }
}

impl Element {
    /// Re-renders this element and its subtree as XML (namespaces as `xmlns` on each element
    /// whose namespace differs from its parent's). Used to keep unknown sections as text.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_xml("", &mut out);
        out
    }

    fn write_xml(&self, parent_ns: &str, out: &mut String) {
        use super::write::escape;
        out.push('<');
        out.push_str(&self.name);
        if self.ns != parent_ns {
            out.push_str(" xmlns=\"");
            out.push_str(&escape(&self.ns, true));
            out.push('"');
        }
        // Prefixed attributes are dropped: their namespace bindings are not kept.
        for a in self.attrs.iter().filter(|a| !a.name.contains(':')) {
            out.push(' ');
            out.push_str(&a.name);
            out.push_str("=\"");
            out.push_str(&escape(&a.value, true));
            out.push('"');
        }
        if self.text.is_empty() && self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&escape(&self.text, false));
        for c in &self.children {
            c.write_xml(&self.ns, out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}
