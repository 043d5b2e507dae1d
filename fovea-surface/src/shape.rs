//! The part of JSON Schema that fovea's types use, read into a small tree both printers walk.

use serde_json::{Map, Value};

/// A type, as both TypeScript and Python stubs can spell it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Anything (`true`, `{}`).
    Any,
    /// `null` / `None`.
    Null,
    /// A boolean.
    Bool,
    /// A number that need not be whole.
    Number,
    /// A whole number (Python gives an `int`; JavaScript a number).
    Integer,
    /// A string.
    String,
    /// One string value.
    Literal(String),
    /// A named definition.
    Ref(String),
    /// A list of one type.
    Array(Box<Ty>),
    /// A fixed-length list.
    Tuple(Vec<Ty>),
    /// An object with string keys and values of one type.
    Map(Box<Ty>),
    /// An object with named fields (inline: no name of its own).
    Object(Vec<Field>),
    /// One of several types.
    Union(Vec<Ty>),
}

/// A named field of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key as it appears in the data.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Whether the key may be absent.
    pub optional: bool,
    /// Its documentation.
    pub doc: Option<String>,
}

/// A named definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    /// The name both surfaces declare.
    pub name: String,
    /// Its documentation.
    pub doc: Option<String>,
    /// An object with fields (an interface / a TypedDict), or any other type (an alias).
    pub ty: Ty,
    /// For an object: whether keys beyond its fields are allowed (and kept).
    pub open: bool,
}

/// Reads a definition of the schema's `$defs`.
pub fn def(name: &str, schema: &Value) -> Result<Def, String> {
    let ty = ty(schema).map_err(|e| format!("{name}: {e}"))?;
    Ok(Def {
        name: name.to_owned(),
        doc: doc(schema),
        open: matches!(ty, Ty::Object(_)) && open(schema),
        ty,
    })
}

/// The description, with rustdoc's links (`[`Name`]`) as plain code spans.
fn doc(schema: &Value) -> Option<String> {
    let text = schema.get("description").and_then(Value::as_str)?;
    let text = text.trim().replace("[`", "`").replace("`]", "`");
    Some(text).filter(|t| !t.is_empty())
}

/// Whether an object keeps keys beyond its properties: only when its schema says so
/// (`additionalProperties: true`); what a derived struct writes has exactly its fields.
fn open(schema: &Value) -> bool {
    schema.get("additionalProperties") == Some(&Value::Bool(true))
}

/// Reads the type a schema describes. O(size of the schema).
pub fn ty(schema: &Value) -> Result<Ty, String> {
    let object = match schema {
        Value::Bool(true) => return Ok(Ty::Any),
        Value::Object(object) => object,
        other => return Err(format!("unsupported schema {other}")),
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return Ok(Ty::Ref(name.to_owned()));
    }
    if let Some(value) = object.get("const") {
        return literal(value);
    }
    if let Some(Value::Array(values)) = object.get("enum") {
        return values
            .iter()
            .map(literal)
            .collect::<Result<_, _>>()
            .map(union);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = object.get(key) {
            return variants.iter().map(ty).collect::<Result<_, _>>().map(union);
        }
    }
    if let Some(Value::Array(parts)) = object.get("allOf") {
        if let [only] = parts.as_slice() {
            return ty(only);
        }
        return Err("allOf with more than one part".into());
    }
    match object.get("type") {
        None => Ok(Ty::Any),
        Some(Value::String(kind)) => typed(kind, object),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .map(|kind| match kind {
                Value::String(kind) => typed(kind, object),
                other => Err(format!("unsupported type {other}")),
            })
            .collect::<Result<_, _>>()
            .map(union),
        Some(other) => Err(format!("unsupported type {other}")),
    }
}

fn literal(value: &Value) -> Result<Ty, String> {
    match value {
        Value::String(s) => Ok(Ty::Literal(s.clone())),
        Value::Null => Ok(Ty::Null),
        other => Err(format!("unsupported literal {other}")),
    }
}

/// One type of a schema's `type`, with the keywords that go with it.
fn typed(kind: &str, object: &Map<String, Value>) -> Result<Ty, String> {
    Ok(match kind {
        "null" => Ty::Null,
        "boolean" => Ty::Bool,
        "integer" => Ty::Integer,
        "number" => Ty::Number,
        "string" => Ty::String,
        "array" => match (object.get("prefixItems"), object.get("items")) {
            (Some(Value::Array(items)), _) => {
                Ty::Tuple(items.iter().map(ty).collect::<Result<_, _>>()?)
            }
            (_, Some(items)) => Ty::Array(Box::new(ty(items)?)),
            _ => Ty::Array(Box::new(Ty::Any)),
        },
        "object" => match object.get("properties") {
            Some(Value::Object(properties)) => {
                let required: Vec<&str> = object
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let fields = properties
                    .iter()
                    .map(|(name, schema)| {
                        Ok(Field {
                            name: name.clone(),
                            ty: ty(schema).map_err(|e| format!("{name}: {e}"))?,
                            optional: !required.contains(&name.as_str()),
                            doc: doc(schema),
                        })
                    })
                    .collect::<Result<_, String>>()?;
                Ty::Object(fields)
            }
            _ => match object.get("additionalProperties") {
                Some(Value::Bool(false)) => Ty::Object(Vec::new()),
                Some(values @ Value::Object(_)) => Ty::Map(Box::new(ty(values)?)),
                _ => Ty::Map(Box::new(Ty::Any)),
            },
        },
        other => return Err(format!("unsupported type {other:?}")),
    })
}

/// A union of `types`, nested unions flattened and repeats dropped; one type stays itself.
fn union(types: Vec<Ty>) -> Ty {
    let mut flat: Vec<Ty> = Vec::with_capacity(types.len());
    for t in types {
        let parts = match t {
            Ty::Union(parts) => parts,
            other => vec![other],
        };
        for part in parts {
            if !flat.contains(&part) {
                flat.push(part);
            }
        }
    }
    if flat.len() == 1 {
        flat.pop().unwrap_or(Ty::Any)
    } else {
        Ty::Union(flat)
    }
}
