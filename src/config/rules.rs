//! Rule files (`rules/*.toml`): `[[rule]]` tables, each validated into a [`Rule`] — id, title,
//! severity, references, the event kind it looks at and its `[rule.match]` conditions, every
//! field checked against the event kind's schema and every test against the field's type. Every
//! problem is reported with `file:line:col`.
//!
//! ```toml
//! [[rule]]
//! id = "si-change-config"
//! title = "Smart Install config push from a non-director (SIET -c, ET 2025521)"
//! severity = "high"
//! unverified_severity = "low"
//! event = "smart_install.message"
//! references = ["ET 2025521", "US-CERT TA18-106A"]
//! description = "…"
//! [rule.match]
//! kind = "config_push"
//! source = ["non_director", "unknown"]
//! ```
//!
//! Input: operator-written or shipped TOML, trusted but validated.

use std::path::Path;

use crate::rules::matcher::Literal;
use crate::rules::{
    Condition, EventKind, MAX_UNVERIFIED, Rule, RuleSet, RuleSetError, Severity, Test,
};

use super::doc::{Ctx, Node, Table};
use super::{ConfigErrorKind, ConfigErrors};

/// Longest rule id.
const MAX_ID_LEN: usize = 64;
/// Most rules in one file.
const MAX_RULES_PER_FILE: usize = 1_000;
/// Longest literal in a test.
const MAX_LITERAL_LEN: usize = 1_024;

/// The rules of one file.
pub fn rules_from_toml(file: &str, text: &str) -> Result<Vec<Rule>, ConfigErrors> {
    let (mut cx, doc) = Ctx::parse(file, text);
    let mut root = Table::root(&doc);
    let tables = root.tables(&mut cx, "rule");
    if tables.is_empty() && !cx.has_errors() {
        cx.file_error(
            "rule",
            ConfigErrorKind::Invalid("no [[rule]] tables".into()),
        );
    }
    if tables.len() > MAX_RULES_PER_FILE {
        cx.file_error(
            "rule",
            ConfigErrorKind::Invalid(format!("more than {MAX_RULES_PER_FILE} rules")),
        );
    }
    let rules: Vec<Rule> = tables
        .into_iter()
        .filter_map(|mut t| {
            let rule = rule(&mut cx, &mut t, file);
            t.finish(&mut cx);
            rule
        })
        .collect();
    root.finish(&mut cx);
    if cx.has_errors() {
        return Err(ConfigErrors(cx.finish()));
    }
    Ok(rules)
}

/// Whether `text` looks like a rule file (it has a top-level `rule` array).
pub fn is_rule_file(text: &str) -> bool {
    super::file_kind(text) == super::FileKind::Rules
}

/// The rule set of every `*.toml` file in `dir` (in name order).
pub fn load_rules_dir(dir: &Path) -> Result<RuleSet, ConfigErrors> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ConfigErrors::whole_file(&shown, "", ConfigErrorKind::Io(e.to_string())))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = super::read(&path, &name)?;
        files.push((name, text));
    }
    rule_set(files.iter().map(|(f, t)| (f.as_str(), t.as_str())))
}

/// The rule set of `files` (name, text).
pub fn rule_set<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<RuleSet, ConfigErrors> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut any = false;
    for (file, text) in files {
        any = true;
        match rules_from_toml(file, text) {
            Ok(r) => rules.extend(r),
            Err(e) => errors.extend(e.0),
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    RuleSet::new(rules).map_err(|e| {
        let file = match &e {
            RuleSetError::DuplicateId { second, .. } => second.as_str(),
            RuleSetError::Empty if !any => "rules",
            RuleSetError::Empty => "",
        };
        ConfigErrors::whole_file(file, "rule", ConfigErrorKind::Invalid(e.to_string()))
    })
}

/// The shipped rules (`rules/*.toml`, embedded).
pub fn builtin() -> Result<RuleSet, ConfigErrors> {
    rule_set(crate::rules::builtin::FILES.iter().copied())
}

fn rule(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, file: &str) -> Option<Rule> {
    let id = t.require(cx, "id").and_then(|n| n.parse(cx, parse_id));
    let title = t
        .require(cx, "title")
        .and_then(|n| n.parse(cx, |s| bounded_text(s, 200)));
    let severity = t
        .require(cx, "severity")
        .and_then(|n| n.parse(cx, str::parse::<Severity>));
    let unverified = t
        .take("unverified_severity")
        .and_then(|n| n.parse(cx, parse_unverified).map(|s| (s, n)));
    let description = t
        .take("description")
        .and_then(|n| n.parse(cx, |s| bounded_text(s, 4_000)))
        .unwrap_or_default();
    let references = t
        .require(cx, "references")
        .and_then(|n| {
            let refs = n.strings(cx, |s| bounded_text(s, 500))?;
            if refs.is_empty() {
                n.invalid(cx, "at least one reference is required");
            }
            Some(refs)
        })
        .unwrap_or_default();
    let event = t.require(cx, "event").and_then(|n| {
        n.parse(cx, |s| {
            EventKind::parse(s).ok_or_else(|| {
                let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown event {s:?} (known: {})", known.join(", "))
            })
        })
    });
    let conditions = match (event, t.take("match")) {
        (Some(kind), Some(node)) => conditions(cx, &node, kind),
        (_, _) => Some(Vec::new()),
    };
    let unverified_severity = match (unverified, severity) {
        (Some((u, node)), Some(s)) if u >= s => {
            node.invalid(cx, "must be lower than the rule's severity");
            None
        }
        (u, _) => u.map(|(s, _)| s),
    };
    Some(Rule {
        id: id?,
        title: title?,
        severity: severity?,
        unverified_severity,
        description,
        references,
        event: event?,
        conditions: conditions?,
        source: file.to_owned(),
    })
}

fn parse_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "a rule id is 1 to {MAX_ID_LEN} lowercase letters, digits and '-', \
             starting with a letter or digit"
        ))
    }
}

fn parse_unverified(s: &str) -> Result<Severity, String> {
    let sev: Severity = s
        .parse()
        .map_err(|e: crate::rules::UnknownSeverity| e.to_string())?;
    if sev > MAX_UNVERIFIED {
        return Err(format!(
            "an unverified finding is at most {MAX_UNVERIFIED} (the observer cannot tell \
             a director from an attacker)"
        ));
    }
    Ok(sev)
}

fn bounded_text(s: &str, max: usize) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        Err("must not be empty".into())
    } else if s.chars().count() > max {
        Err(format!("longer than {max} characters"))
    } else {
        Ok(s.to_owned())
    }
}

fn conditions(cx: &mut Ctx<'_>, node: &Node<'_, '_>, kind: EventKind) -> Option<Vec<Condition>> {
    let table = node.table(cx)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (name, value) in table.into_nodes() {
        let Some((field, ty)) = kind.field(&name) else {
            let known: Vec<&str> = kind.fields().map(|(n, _)| n).collect();
            value.invalid(
                cx,
                format!(
                    "{kind} has no field {name:?} (fields: {})",
                    known.join(", ")
                ),
            );
            ok = false;
            continue;
        };
        let Some(test) = test(cx, &value) else {
            ok = false;
            continue;
        };
        if let Err(why) = test.check(ty) {
            value.invalid(cx, why);
            ok = false;
            continue;
        }
        out.push(Condition { field, test });
    }
    ok.then_some(out)
}

fn test(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<Test> {
    use toml::de::DeValue;
    match node.value() {
        DeValue::Array(_) => {
            let items = node.array(cx)?;
            let literals: Option<Vec<Literal>> = items.iter().map(|n| literal(cx, n)).collect();
            let literals = literals?;
            if literals.is_empty() {
                node.invalid(cx, "an empty list matches nothing");
                return None;
            }
            Some(Test::AnyOf(literals))
        }
        DeValue::Table(_) => operator(cx, node),
        _ => literal(cx, node).map(Test::Equals),
    }
}

fn operator(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<Test> {
    let mut t = node.table(cx)?;
    let test = if let Some(inner) = t.take("not") {
        test(cx, &inner).map(|i| Test::Not(Box::new(i)))
    } else if let Some(n) = t.take("prefix") {
        n.parse(cx, literal_text).map(Test::Prefix)
    } else if let Some(n) = t.take("contains") {
        n.parse(cx, literal_text).map(Test::Contains)
    } else if let Some(n) = t.take("gt") {
        unsigned(cx, &n).map(Test::Gt)
    } else if let Some(n) = t.take("lt") {
        unsigned(cx, &n).map(Test::Lt)
    } else if let Some(n) = t.take("empty") {
        n.bool(cx).map(Test::Empty)
    } else if let Some(n) = t.take("at") {
        let offset = unsigned(cx, &n).and_then(|o| usize::try_from(o).ok());
        let bytes = if let Some(a) = t.take("ascii") {
            a.parse(cx, |s| literal_text(s).map(String::into_bytes))
        } else if let Some(h) = t.take("hex") {
            h.parse(cx, parse_hex)
        } else {
            t.invalid(cx, "`at` needs `ascii` or `hex`");
            None
        };
        Some(Test::BytesAt {
            offset: offset?,
            bytes: bytes?,
        })
    } else {
        t.invalid(
            cx,
            "expected one of not, prefix, contains, gt, lt, empty, or at with ascii/hex",
        );
        None
    };
    t.finish(cx);
    test
}

fn literal(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<Literal> {
    use toml::de::DeValue;
    match node.value() {
        DeValue::String(_) => node.parse(cx, literal_text).map(Literal::Text),
        DeValue::Boolean(b) => Some(Literal::Bool(*b)),
        DeValue::Integer(_) => unsigned(cx, node).map(Literal::Int),
        _ => {
            node.wrong_type(cx, "an integer, a string, a boolean, a list or a table");
            None
        }
    }
}

fn unsigned(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<u64> {
    let n = node.integer(cx)?;
    let n = u64::try_from(n).ok();
    if n.is_none() {
        node.invalid(cx, "must not be negative");
    }
    n
}

fn literal_text(s: &str) -> Result<String, String> {
    if s.len() > MAX_LITERAL_LEN {
        Err(format!("longer than {MAX_LITERAL_LEN} bytes"))
    } else {
        Ok(s.to_owned())
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if clean.is_empty() || !clean.len().is_multiple_of(2) || clean.len() > 2 * MAX_LITERAL_LEN {
        return Err("an even number of hex digits (at most 2048) is expected".into());
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| {
            clean
                .get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("not a hex digit pair at {i}"))
        })
        .collect()
}

#[cfg(test)]
mod tests;
