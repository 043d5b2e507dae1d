//! TypeScript declarations of the definitions: an interface per object, a type alias otherwise.

use crate::shape::{Def, Field, Ty};
use std::fmt::Write;

/// The declarations of `defs`, in their order, after `header`.
pub fn render(header: &str, defs: &[Def]) -> String {
    let mut out = String::from(header);
    for def in defs {
        out.push('\n');
        comment(&mut out, "", def.doc.as_deref());
        match &def.ty {
            Ty::Object(fields) => {
                let _ = writeln!(out, "export interface {} {{", def.name);
                fields_of(&mut out, fields, "  ");
                if def.open {
                    out.push_str("  [key: string]: unknown\n");
                }
                out.push_str("}\n");
            }
            other => {
                let _ = writeln!(out, "export type {} = {}", def.name, spell(other));
            }
        }
    }
    out
}

fn fields_of(out: &mut String, fields: &[Field], indent: &str) {
    for field in fields {
        comment(out, indent, field.doc.as_deref());
        let mark = if field.optional { "?" } else { "" };
        let _ = writeln!(
            out,
            "{indent}{}{mark}: {}",
            key(&field.name),
            spell(&field.ty)
        );
    }
}

/// A JSDoc comment of `doc`, one line of text per line.
fn comment(out: &mut String, indent: &str, doc: Option<&str>) {
    let Some(doc) = doc else { return };
    let doc = doc.replace("*/", "*\\/");
    let lines: Vec<&str> = doc.lines().collect();
    if let [line] = lines.as_slice() {
        let _ = writeln!(out, "{indent}/** {line} */");
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for line in lines {
        let _ = writeln!(out, "{indent} * {line}").map(|_| ());
    }
    let _ = writeln!(out, "{indent} */");
}

/// A property key, quoted when it is not an identifier.
fn key(name: &str) -> String {
    let identifier = name.chars().enumerate().all(|(i, c)| {
        c == '_' || c == '$' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
    });
    if identifier && !name.is_empty() {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

/// The type as TypeScript spells it.
fn spell(ty: &Ty) -> String {
    match ty {
        Ty::Any => "unknown".into(),
        Ty::Null => "null".into(),
        Ty::Bool => "boolean".into(),
        Ty::Number | Ty::Integer => "number".into(),
        Ty::String => "string".into(),
        Ty::Literal(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Ty::Ref(name) => name.clone(),
        Ty::Array(item) => format!("Array<{}>", spell(item)),
        Ty::Tuple(items) => format!(
            "[{}]",
            items.iter().map(spell).collect::<Vec<_>>().join(", ")
        ),
        Ty::Map(value) => format!("Record<string, {}>", spell(value)),
        Ty::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| {
                    let mark = if f.optional { "?" } else { "" };
                    format!("{}{mark}: {}", key(&f.name), spell(&f.ty))
                })
                .collect();
            format!("{{ {} }}", inner.join("; "))
        }
        Ty::Union(parts) => parts.iter().map(spell).collect::<Vec<_>>().join(" | "),
    }
}
