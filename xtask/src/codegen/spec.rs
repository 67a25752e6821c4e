//! Loading an OpenAPI document and the files its `$ref`s point into.
//!
//! Every document is kept as a [`serde_json::Value`] so that each piece of the spec can be named
//! by its location (`file#/json/pointer`) in error messages. Each file is also checked to be a
//! well-formed OpenAPI 3.0 document with `openapiv3`.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A place in a spec file: `region.spec.yaml#/paths/~1api~1v1~1.../get`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    /// The file name, relative to the directory of the main spec.
    pub file: String,
    /// The JSON pointer inside the file (empty for the whole document).
    pub pointer: String,
}

impl Loc {
    /// The location of the child `key` (an object key or an array index).
    pub fn join(&self, key: impl fmt::Display) -> Self {
        let key = key.to_string().replace('~', "~0").replace('/', "~1");
        Self {
            file: self.file.clone(),
            pointer: format!("{}/{key}", self.pointer),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.file, self.pointer)
    }
}

/// The main spec and every file reachable from it through `$ref`s.
#[derive(Debug)]
pub struct Specs {
    /// The main spec's file name.
    pub main: String,
    docs: BTreeMap<String, Value>,
}

impl Specs {
    /// Reads `main` and, transitively, every file its `$ref`s name (relative to `main`'s
    /// directory). Remote (`http(s)://`) references are refused.
    pub fn load(main: &Path) -> Result<Self> {
        let dir = main.parent().unwrap_or(Path::new(".")).to_path_buf();
        let name = file_name(main)?;
        let mut files = BTreeMap::new();
        for (file, text) in read_closure(&dir, &name)? {
            files.insert(file, text);
        }
        Self::from_sources(&name, files)
    }

    /// Builds the spec set from in-memory file contents (`name -> YAML text`); every file a
    /// `$ref` names must be present.
    pub fn from_sources(main: &str, sources: BTreeMap<String, String>) -> Result<Self> {
        let mut docs = BTreeMap::new();
        for (name, text) in &sources {
            docs.insert(name.clone(), parse(name, text)?);
        }
        let specs = Self {
            main: main.to_owned(),
            docs,
        };
        if !specs.docs.contains_key(main) {
            bail!("spec file {main} was not given");
        }
        // Every file a reference names must be known.
        for (name, doc) in &specs.docs {
            let mut refs = Vec::new();
            collect_refs(doc, &Loc::doc(name), &mut refs);
            for (at, target) in refs {
                let (file, _) = specs.split_ref(&at, &target)?;
                if !specs.docs.contains_key(&file) {
                    bail!("$ref `{target}` at {at} names the file {file}, which was not found");
                }
            }
        }
        Ok(specs)
    }

    /// The value at `loc`, if there is one.
    pub fn get(&self, loc: &Loc) -> Option<&Value> {
        self.docs.get(&loc.file)?.pointer(&loc.pointer)
    }

    /// The value at `loc`, or an error naming it.
    pub fn require(&self, loc: &Loc) -> Result<&Value> {
        self.get(loc)
            .with_context(|| format!("nothing found at {loc}"))
    }

    /// Where the `$ref` string `target`, found at `at`, points.
    pub fn resolve(&self, at: &Loc, target: &str) -> Result<Loc> {
        let (file, pointer) = self.split_ref(at, target)?;
        let loc = Loc { file, pointer };
        if self.get(&loc).is_none() {
            bail!("unknown $ref `{target}` at {at}: nothing found at {loc}");
        }
        Ok(loc)
    }

    /// Follows `$ref`s from the value at `loc` until a value that is not a reference.
    pub fn deref(&self, loc: &Loc) -> Result<(Loc, &Value)> {
        let mut loc = loc.clone();
        for _ in 0..32 {
            let value = self.require(&loc)?;
            match value.get("$ref") {
                Some(Value::String(target)) => loc = self.resolve(&loc.join("$ref"), target)?,
                Some(_) => bail!("$ref at {loc} is not a string"),
                None => return Ok((loc, value)),
            }
        }
        bail!("$ref chain starting at {loc} is too long (a cycle?)")
    }

    fn split_ref(&self, at: &Loc, target: &str) -> Result<(String, String)> {
        let (file, pointer) = target.split_once('#').unwrap_or((target, ""));
        if file.contains("://") {
            bail!("remote $ref `{target}` at {at} is not supported: point at a local file");
        }
        if !pointer.is_empty() && !pointer.starts_with('/') {
            bail!("$ref `{target}` at {at} does not hold a JSON pointer after `#`");
        }
        let file = if file.is_empty() {
            at.file.clone()
        } else {
            file.trim_start_matches("./").to_owned()
        };
        Ok((file, pointer.to_owned()))
    }
}

impl Loc {
    fn doc(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            pointer: String::new(),
        }
    }

    /// The root of the document `file`.
    pub fn root(file: &str) -> Self {
        Self::doc(file)
    }
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .with_context(|| format!("{} has no file name", path.display()))
}

/// Reads `main` and every file reachable from it.
fn read_closure(dir: &Path, main: &str) -> Result<Vec<(String, String)>> {
    let mut todo = vec![main.to_owned()];
    let mut done: BTreeMap<String, String> = BTreeMap::new();
    while let Some(name) = todo.pop() {
        if done.contains_key(&name) {
            continue;
        }
        let path: PathBuf = dir.join(&name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading spec file {}", path.display()))?;
        let doc = parse(&name, &text)?;
        let mut refs = Vec::new();
        collect_refs(&doc, &Loc::doc(&name), &mut refs);
        for (at, target) in refs {
            let file = target.split_once('#').map_or(target.as_str(), |(f, _)| f);
            if file.contains("://") {
                bail!("remote $ref `{target}` at {at} is not supported: point at a local file");
            }
            if !file.is_empty() {
                todo.push(file.trim_start_matches("./").to_owned());
            }
        }
        done.insert(name, text);
    }
    Ok(done.into_iter().collect())
}

fn parse(name: &str, text: &str) -> Result<Value> {
    let value: Value =
        serde_saphyr::from_str(text).with_context(|| format!("{name} is not valid YAML"))?;
    serde_json::from_value::<openapiv3::OpenAPI>(value.clone())
        .with_context(|| format!("{name} is not a valid OpenAPI 3.0 document"))?;
    Ok(value)
}

/// Every `$ref` string in `value`, with the location of the `$ref` key.
fn collect_refs(value: &Value, loc: &Loc, out: &mut Vec<(Loc, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    if let Value::String(target) = child {
                        out.push((loc.join(key), target.clone()));
                    }
                } else {
                    collect_refs(child, &loc.join(key), out);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                collect_refs(child, &loc.join(index), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";

    #[test]
    fn locations_escape_pointer_segments() {
        let loc = Loc::root("region.spec.yaml")
            .join("paths")
            .join("/api/v1/x")
            .join("get");
        assert_eq!(loc.to_string(), "region.spec.yaml#/paths/~1api~1v1~1x/get");
    }

    #[test]
    fn missing_referenced_file_is_an_error_naming_the_ref() {
        let main = format!(
            "{DOC}components:\n  schemas:\n    a:\n      $ref: 'other.yaml#/components/schemas/b'\n"
        );
        let err = Specs::from_sources("main.yaml", [("main.yaml".into(), main)].into())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("main.yaml#/components/schemas/a/$ref"),
            "{err}"
        );
        assert!(err.contains("other.yaml"), "{err}");
    }

    #[test]
    fn remote_refs_are_refused() {
        let main = format!(
            "{DOC}components:\n  schemas:\n    a:\n      $ref: 'https://example.com/x.yaml#/a'\n"
        );
        let err = Specs::from_sources("main.yaml", [("main.yaml".into(), main)].into())
            .unwrap_err()
            .to_string();
        assert!(err.contains("remote $ref"), "{err}");
    }
}
