//! Spanned-document walker: schema code takes keys from a parsed TOML table one by one, and every
//! problem (syntax, wrong type, invalid value, missing or unknown key) is recorded with the span of
//! the offending key or value, converted to `file:line:col` and reported in file order.
//!
//! Input: operator-written TOML text, trusted but validated. The parser is toml's recoverable
//! parser (`toml::de::DeTable::parse_recoverable`), so one pass yields every syntax error together
//! with a best-effort document; schema errors that fall inside a syntax error are suppressed, as
//! they are only echoes of it.

use std::fmt::Display;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};
use toml::value::Datetime;

use crate::config::{ConfigError, ConfigErrorKind};

/// The error sink for one file: its name, its text (for line and column numbers) and the errors
/// found so far.
pub(super) struct Ctx<'t> {
    file: String,
    text: &'t str,
    line_starts: Vec<usize>,
    syntax: Vec<Range<usize>>,
    errors: Vec<(usize, ConfigError)>,
}

impl<'t> Ctx<'t> {
    /// Parses `text`, recording every syntax error, and returns the sink and the document.
    pub(super) fn parse(file: &str, text: &'t str) -> (Self, Spanned<DeTable<'t>>) {
        let (doc, syntax_errors) = DeTable::parse_recoverable(text);
        let mut cx = Self {
            file: file.to_owned(),
            text,
            line_starts: line_starts(text),
            syntax: Vec::new(),
            errors: Vec::new(),
        };
        for err in syntax_errors {
            let span = err.span().unwrap_or(0..0);
            cx.push(
                span.clone(),
                "",
                ConfigErrorKind::Syntax(err.message().to_owned()),
            );
            cx.syntax.push(span);
        }
        (cx, doc)
    }

    /// Records a schema error at `span`, unless it lies inside a syntax error.
    pub(super) fn error(&mut self, span: Range<usize>, key: &str, kind: ConfigErrorKind) {
        let echoes_syntax = self
            .syntax
            .iter()
            .any(|s| s.start <= span.end && span.start <= s.end);
        if !echoes_syntax {
            self.push(span, key, kind);
        }
    }

    /// Records an error about the file as a whole (line 0).
    pub(super) fn file_error(&mut self, key: &str, kind: ConfigErrorKind) {
        let error = ConfigError {
            file: self.file.clone(),
            line: 0,
            col: 0,
            key: key.to_owned(),
            kind,
        };
        self.errors.push((0, error));
    }

    /// Whether any error was recorded.
    pub(super) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors, in file order.
    pub(super) fn finish(mut self) -> Vec<ConfigError> {
        self.errors.sort_by_key(|(offset, _)| *offset);
        self.errors.into_iter().map(|(_, e)| e).collect()
    }

    fn push(&mut self, span: Range<usize>, key: &str, kind: ConfigErrorKind) {
        let (line, col) = self.position(span.start);
        let error = ConfigError {
            file: self.file.clone(),
            line,
            col,
            key: key.to_owned(),
            kind,
        };
        self.errors.push((span.start, error));
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, col + 1)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let newlines = text.match_indices('\n').map(|(i, _)| i + 1);
    std::iter::once(0).chain(newlines).collect()
}

// === Table ===

/// A TOML table whose keys the schema takes one by one; [`Table::finish`] reports the rest as
/// unknown keys.
pub(super) struct Table<'a, 'i> {
    path: String,
    span: Range<usize>,
    entries: Vec<Entry<'a, 'i>>,
}

struct Entry<'a, 'i> {
    key: &'a Spanned<DeString<'i>>,
    value: &'a Spanned<DeValue<'i>>,
    taken: bool,
}

impl<'a, 'i> Table<'a, 'i> {
    /// The document's top-level table.
    pub(super) fn root(doc: &'a Spanned<DeTable<'i>>) -> Self {
        Self::new(String::new(), doc.span(), doc.get_ref())
    }

    fn new(path: String, span: Range<usize>, table: &'a DeTable<'i>) -> Self {
        let entries = table
            .iter()
            .map(|(key, value)| Entry {
                key,
                value,
                taken: false,
            })
            .collect();
        Self {
            path,
            span,
            entries,
        }
    }

    /// Whether the table has `key` (taken or not).
    pub(super) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key.get_ref() == key)
    }

    /// Takes `key`, if present.
    pub(super) fn take(&mut self, key: &str) -> Option<Node<'a, 'i>> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| !e.taken && e.key.get_ref() == key)?;
        entry.taken = true;
        Some(Node {
            path: child_path(&self.path, key),
            key_span: entry.key.span(),
            value: entry.value,
        })
    }

    /// Takes `key`, recording a missing-key error when it is absent.
    pub(super) fn require(&mut self, cx: &mut Ctx<'_>, key: &str) -> Option<Node<'a, 'i>> {
        let node = self.take(key);
        if node.is_none() {
            self.missing(cx, key);
        }
        node
    }

    /// Records a problem with the table as a whole (e.g. conflicting keys), at its header.
    pub(super) fn invalid(&self, cx: &mut Ctx<'_>, message: impl Display) {
        cx.error(
            self.span.clone(),
            &self.path,
            ConfigErrorKind::Invalid(message.to_string()),
        );
    }

    /// Records that `key` is required here but absent.
    pub(super) fn missing(&self, cx: &mut Ctx<'_>, key: &str) {
        let path = child_path(&self.path, key);
        cx.error(self.span.clone(), &path, ConfigErrorKind::MissingKey);
    }

    /// Takes the sub-table `key`; an absent (or mistyped) one reads as an empty table, so its
    /// defaults come out of the same code path.
    pub(super) fn section(&mut self, cx: &mut Ctx<'_>, key: &str) -> Self {
        match self.take(key) {
            Some(node) => node.table(cx).unwrap_or_else(|| node.empty_table()),
            None => Self {
                path: child_path(&self.path, key),
                span: self.span.clone(),
                entries: Vec::new(),
            },
        }
    }

    /// Takes the sub-table `key` (as [`Table::section`] does), parses it with `parse` and reports
    /// its unknown keys.
    pub(super) fn with_section<T>(
        &mut self,
        cx: &mut Ctx<'_>,
        key: &str,
        parse: impl FnOnce(&mut Ctx<'_>, &mut Self) -> T,
    ) -> T {
        let mut section = self.section(cx, key);
        let value = parse(cx, &mut section);
        section.finish(cx);
        value
    }

    /// Takes `key` as a string and converts it with `parse`.
    pub(super) fn parse<T, E: Display>(
        &mut self,
        cx: &mut Ctx<'_>,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        self.take(key)?.parse(cx, parse)
    }

    /// Takes `key` as a boolean.
    pub(super) fn bool(&mut self, cx: &mut Ctx<'_>, key: &str) -> Option<bool> {
        self.take(key)?.bool(cx)
    }

    /// Takes `key` as an array of strings, each converted with `parse`; bad elements are reported
    /// and left out.
    pub(super) fn strings<T, E: Display>(
        &mut self,
        cx: &mut Ctx<'_>,
        key: &str,
        parse: impl FnMut(&str) -> Result<T, E>,
    ) -> Option<Vec<T>> {
        self.take(key)?.strings(cx, parse)
    }

    /// Takes `key` as an array of tables (absent: none).
    pub(super) fn tables(&mut self, cx: &mut Ctx<'_>, key: &str) -> Vec<Self> {
        self.take(key)
            .and_then(|node| node.tables(cx))
            .unwrap_or_default()
    }

    /// Every key not taken yet, in file order, with its value (a table whose keys are data,
    /// such as a rule's `match`).
    pub(super) fn into_nodes(self) -> Vec<(String, Node<'a, 'i>)> {
        let path = self.path;
        self.entries
            .into_iter()
            .filter(|e| !e.taken)
            .map(|e| {
                let name = e.key.get_ref().to_string();
                let node = Node {
                    path: child_path(&path, &name),
                    key_span: e.key.span(),
                    value: e.value,
                };
                (name, node)
            })
            .collect()
    }

    /// Reports every key not taken as unknown.
    pub(super) fn finish(self, cx: &mut Ctx<'_>) {
        for entry in self.entries.into_iter().filter(|e| !e.taken) {
            let path = child_path(&self.path, entry.key.get_ref());
            cx.error(entry.key.span(), &path, ConfigErrorKind::UnknownKey);
        }
    }
}

// === Node ===

/// A value taken from a table (or an array element), with its key path and span.
pub(super) struct Node<'a, 'i> {
    path: String,
    key_span: Range<usize>,
    value: &'a Spanned<DeValue<'i>>,
}

impl<'a, 'i> Node<'a, 'i> {
    /// The raw value.
    pub(super) fn value(&self) -> &'a DeValue<'i> {
        self.value.get_ref()
    }

    /// Records that the value is invalid.
    pub(super) fn invalid(&self, cx: &mut Ctx<'_>, message: impl Display) {
        self.invalid_with(cx, ConfigErrorKind::Invalid(message.to_string()));
    }

    /// Records an error of `kind` at the value.
    pub(super) fn invalid_with(&self, cx: &mut Ctx<'_>, kind: ConfigErrorKind) {
        cx.error(self.value.span(), &self.path, kind);
    }

    /// Records that the value has the wrong type.
    pub(super) fn wrong_type(&self, cx: &mut Ctx<'_>, expected: &'static str) {
        self.invalid_with(cx, ConfigErrorKind::WrongType { expected });
    }

    /// The value as a string.
    pub(super) fn str(&self, cx: &mut Ctx<'_>) -> Option<&'a str> {
        let s = self.value.get_ref().as_str();
        if s.is_none() {
            self.wrong_type(cx, "a string");
        }
        s
    }

    /// The value as a boolean.
    pub(super) fn bool(&self, cx: &mut Ctx<'_>) -> Option<bool> {
        let b = self.value.get_ref().as_bool();
        if b.is_none() {
            self.wrong_type(cx, "a boolean");
        }
        b
    }

    /// The value as an integer.
    pub(super) fn integer(&self, cx: &mut Ctx<'_>) -> Option<i64> {
        let int = self.value.get_ref().as_integer();
        let Some(int) = int else {
            self.wrong_type(cx, "an integer");
            return None;
        };
        let n = i64::from_str_radix(int.as_str(), int.radix()).ok();
        if n.is_none() {
            self.invalid(cx, "integer out of range");
        }
        n
    }

    /// The value as a TOML date-time.
    pub(super) fn datetime(&self, cx: &mut Ctx<'_>) -> Option<&'a Datetime> {
        let dt = self.value.get_ref().as_datetime();
        if dt.is_none() {
            self.wrong_type(cx, "a date-time");
        }
        dt
    }

    /// The value as a string converted with `parse`; a failed conversion is reported.
    pub(super) fn parse<T, E: Display>(
        &self,
        cx: &mut Ctx<'_>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let s = self.str(cx)?;
        parse(s).map_err(|e| self.invalid(cx, e)).ok()
    }

    /// The elements of an array.
    pub(super) fn array(&self, cx: &mut Ctx<'_>) -> Option<Vec<Self>> {
        let Some(items) = self.value.get_ref().as_array() else {
            self.wrong_type(cx, "an array");
            return None;
        };
        let nodes = items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                path: format!("{}[{i}]", self.path),
                key_span: value.span(),
                value,
            })
            .collect();
        Some(nodes)
    }

    /// An array of strings, each converted with `parse`; bad elements are reported and left out.
    pub(super) fn strings<T, E: Display>(
        &self,
        cx: &mut Ctx<'_>,
        mut parse: impl FnMut(&str) -> Result<T, E>,
    ) -> Option<Vec<T>> {
        let items = self.array(cx)?;
        Some(
            items
                .iter()
                .filter_map(|n| n.parse(cx, &mut parse))
                .collect(),
        )
    }

    /// The value as a table.
    pub(super) fn table(&self, cx: &mut Ctx<'_>) -> Option<Table<'a, 'i>> {
        let Some(table) = self.value.get_ref().as_table() else {
            self.wrong_type(cx, "a table");
            return None;
        };
        Some(Table::new(self.path.clone(), self.value.span(), table))
    }

    /// The value as an array of tables; elements that are not tables are reported and left out.
    pub(super) fn tables(&self, cx: &mut Ctx<'_>) -> Option<Vec<Table<'a, 'i>>> {
        let items = self.array(cx)?;
        Some(items.iter().filter_map(|n| n.table(cx)).collect())
    }

    /// An empty table at this node, standing in for a mistyped section.
    fn empty_table(&self) -> Table<'a, 'i> {
        Table {
            path: self.path.clone(),
            span: self.key_span.clone(),
            entries: Vec::new(),
        }
    }
}

/// `parent.key`, with `key` quoted when it is not a bare TOML key.
fn child_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// Converts `s` to the value its name stands for in `options`.
pub(super) fn one_of<T: Copy>(s: &str, options: &[(&str, T)]) -> Result<T, String> {
    if let Some((_, value)) = options.iter().find(|(name, _)| *name == s) {
        return Ok(*value);
    }
    let names: Vec<String> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
    Err(format!(
        "unknown value `{s}` (expected one of {})",
        names.join(", ")
    ))
}

/// Names seen so far in one list of named entries (rules, windows, sets), to report duplicates at
/// the second occurrence.
#[derive(Default)]
pub(super) struct UniqueNames(Vec<String>);

impl UniqueNames {
    /// Records `name`; reports it on `node` when it was seen before. Returns whether it was new.
    pub(super) fn insert(&mut self, cx: &mut Ctx<'_>, node: &Node<'_, '_>, name: &str) -> bool {
        if self.0.iter().any(|n| n == name) {
            node.invalid(cx, format!("duplicate name `{name}`"));
            return false;
        }
        self.0.push(name.to_owned());
        true
    }
}
