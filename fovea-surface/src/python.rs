//! Python stub types of the definitions: a `TypedDict` per object, a type alias otherwise.
//! Stubs are never executed, so a definition may name one declared further down.

use crate::shape::{Def, Field, Ty};
use std::fmt::Write;

/// The stub module declaring `defs`, in their order, after `header`.
pub fn render(header: &str, defs: &[Def]) -> Result<String, String> {
    let mut out = String::from(header);
    out.push_str(
        "\nfrom typing import Any, Literal, TypedDict\n\n\
         from typing_extensions import NotRequired, TypeAlias\n",
    );
    for def in defs {
        out.push('\n');
        match &def.ty {
            Ty::Object(fields) => {
                if let Some(field) = fields.iter().find(|f| !identifier(&f.name)) {
                    return Err(format!(
                        "{}: key {:?} is not a Python name",
                        def.name, field.name
                    ));
                }
                let _ = writeln!(out, "class {}(TypedDict):", def.name);
                if def.doc.is_some() {
                    docstring(&mut out, def.doc.as_deref());
                    out.push('\n');
                }
                members(&mut out, fields);
                if fields.is_empty() && def.doc.is_none() {
                    out.push_str("    pass\n");
                }
            }
            other => {
                if let Some(doc) = &def.doc {
                    for line in doc.lines() {
                        let _ = writeln!(out, "# {line}").map(|_| ());
                    }
                }
                let _ = writeln!(out, "{}: TypeAlias = {}", def.name, spell(other));
            }
        }
    }
    Ok(out)
}

fn members(out: &mut String, fields: &[Field]) {
    for field in fields {
        let ty = spell(&field.ty);
        if field.optional {
            let _ = writeln!(out, "    {}: NotRequired[{ty}]", field.name);
        } else {
            let _ = writeln!(out, "    {}: {ty}", field.name);
        }
        if let Some(doc) = &field.doc {
            docstring(out, Some(doc));
        }
    }
}

fn docstring(out: &mut String, doc: Option<&str>) {
    let Some(doc) = doc else { return };
    let doc = doc.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    let mut lines = doc.lines();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        let _ = writeln!(out, "    \"\"\"{first}\"\"\"");
        return;
    }
    let _ = writeln!(out, "    \"\"\"{first}");
    for line in rest {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "    {line}");
        }
    }
    out.push_str("    \"\"\"\n");
}

fn identifier(name: &str) -> bool {
    const KEYWORDS: [&str; 6] = ["from", "class", "def", "import", "global", "lambda"];
    !name.is_empty()
        && !KEYWORDS.contains(&name)
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
}

/// The type as a stub spells it.
fn spell(ty: &Ty) -> String {
    match ty {
        Ty::Any => "Any".into(),
        Ty::Null => "None".into(),
        Ty::Bool => "bool".into(),
        Ty::Number => "float".into(),
        Ty::Integer => "int".into(),
        Ty::String => "str".into(),
        Ty::Literal(s) => format!("Literal[{s:?}]"),
        Ty::Ref(name) => name.clone(),
        Ty::Array(item) => format!("list[{}]", spell(item)),
        Ty::Tuple(items) => format!(
            "tuple[{}]",
            items.iter().map(spell).collect::<Vec<_>>().join(", ")
        ),
        Ty::Map(value) => format!("dict[str, {}]", spell(value)),
        // A stub cannot declare a class inside an expression: an inline object is a dict.
        Ty::Object(_) => "dict[str, Any]".into(),
        Ty::Union(parts) => {
            let literals: Vec<&str> = parts
                .iter()
                .filter_map(|p| match p {
                    Ty::Literal(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            if literals.len() == parts.len() {
                let quoted: Vec<String> = literals.iter().map(|s| format!("{s:?}")).collect();
                return format!("Literal[{}]", quoted.join(", "));
            }
            parts.iter().map(spell).collect::<Vec<_>>().join(" | ")
        }
    }
}
