//! The layers ARCHITECTURE.md draws are the ones the code has: every `crate::…` path in `src/`
//! is read, and each module may use only what its layer's row allows. No circle between any
//! two modules, at any depth.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/` but `lib.rs` and `main.rs`, as its module path
/// (`["share", "link"]`), with its text up to its unit tests.
fn modules() -> BTreeMap<Vec<String>, String> {
    let mut found = BTreeMap::new();
    for path in source_files() {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(repo().join("src")).unwrap();
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if parts == ["lib"] || parts == ["main"] {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let code = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        found.insert(parts, code);
    }
    found
}

/// Every file under `src/`.
fn source_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![repo().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// The module paths a file names: `crate::a::b`, `super::x`, and each name in
/// `use crate::{a, b::c}` / `use super::{…}`, resolved to the longest module that exists.
fn uses(module: &[String], code: &str, all: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    // `super` is the module's parent, for `a/b.rs` and `a/b/mod.rs` alike.
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let resolve = |base: &[String], path: &[&str]| -> Option<Vec<String>> {
        let mut full: Vec<String> = base.to_vec();
        let mut rest = path;
        while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (*h, t)) {
            full.pop();
            rest = tail;
        }
        full.extend(rest.iter().map(|s| (*s).to_owned()));
        (1..=full.len())
            .rev()
            .map(|n| full[..n].to_vec())
            .find(|candidate| all.contains(candidate))
    };
    let mut found = BTreeSet::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
        let mut at = 0;
        while let Some(i) = code[at..].find(prefix) {
            let start = at + i;
            at = start + prefix.len();
            let before = code[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c};`: each name at the top of the group.
                let end = group.find("};").unwrap_or(group.len());
                let mut depth = 0;
                let mut item = String::new();
                for c in group[..end].chars().chain(std::iter::once(',')) {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            let path: Vec<&str> = item
                                .split("::")
                                .map(str::trim)
                                .take_while(|p| !p.starts_with('{'))
                                .collect();
                            if let Some(m) = resolve(&base, &path) {
                                found.insert(m);
                            }
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                continue;
            }
            let path_text: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let path: Vec<&str> = path_text.split("::").filter(|p| !p.is_empty()).collect();
            if let Some(m) = resolve(&base, &path) {
                found.insert(m);
            }
        }
    }
    found.remove(module);
    // A module's own ancestors are where it is declared, not a use.
    found.retain(|m| !(m.len() < module.len() && module.starts_with(m)));
    found
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules();
    let all: BTreeSet<Vec<String>> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(m, code)| (m.clone(), uses(m, code, &all)))
        .collect()
}

/// The rows of ARCHITECTURE.md's layer table: `| N. name | `a`, `b/` | rule |`, top down.
fn layers() -> Vec<(Vec<String>, bool)> {
    let doc = fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in doc.lines() {
        if line.starts_with("| layer | modules | may use |") {
            in_table = true;
            continue;
        }
        if in_table {
            if !line.starts_with('|') {
                break;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() < 4 || cells[1].starts_with("---") {
                continue;
            }
            let modules: Vec<String> = cells[2]
                .split(',')
                .map(|m| m.trim().trim_matches('`').trim_end_matches('/').to_owned())
                .filter(|m| !m.is_empty() && !m.ends_with(".rs"))
                .collect();
            let each_other = cells[3].contains("each other");
            rows.push((modules, each_other));
        }
    }
    assert!(!rows.is_empty(), "ARCHITECTURE.md has no layer table");
    rows
}

#[test]
fn every_module_uses_only_what_its_layer_may() {
    let layers = layers();
    let layer_of = |top: &str| {
        layers
            .iter()
            .position(|(mods, _)| mods.iter().any(|m| m == top))
    };
    let mut wrong = Vec::new();
    for (module, used) in graph() {
        let top = &module[0];
        let Some(mine) = layer_of(top) else {
            wrong.push(format!("src/{top} is in no layer of ARCHITECTURE.md"));
            continue;
        };
        for other in used.iter().map(|m| &m[0]).filter(|o| *o != top) {
            let Some(theirs) = layer_of(other) else {
                continue;
            };
            let allowed = theirs > mine || (theirs == mine && layers[mine].1);
            if !allowed {
                wrong.push(format!("{} uses {other}", module.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "against ARCHITECTURE.md's layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_module_is_part_of_a_circle() {
    let graph = graph();
    // Tarjan's strongly connected components: any of more than one module is a circle.
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        circles: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = s.graph.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut members = Vec::new();
            while let Some(w) = s.stack.pop() {
                members.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            if members.len() > 1 {
                s.circles.push(members);
            }
        }
    }
    let mut state = State {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        circles: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    assert!(
        state.circles.is_empty(),
        "modules that use each other: {:?}",
        state.circles
    );
}

#[test]
fn the_checker_sees_a_use_and_a_circle() {
    // The reader itself: a `use crate::{a, b::c}` group and a `super::` path are uses.
    let all: BTreeSet<Vec<String>> = [vec!["a"], vec!["b"], vec!["b", "c"], vec!["d"]]
        .into_iter()
        .map(|m| m.into_iter().map(str::to_owned).collect())
        .collect();
    let code = "use crate::{a, b::c::Thing};\nfn f() { super::d::go(); }";
    let found = uses(&["b".to_owned(), "e".to_owned()], code, &all);
    let names: Vec<String> = found.iter().map(|m| m.join("::")).collect();
    assert_eq!(names, ["a", "b::c"], "b::e's uses ({code})");
}

/// The paths the "where things live" tables name, from their first cells: `src/shell/posix.rs`,
/// `bash.rs` names `src/shell/bash.rs` too (a name not under a top-level entry of the repository
/// is a sibling of the cell's first path).
fn mapped_paths() -> Vec<String> {
    let doc = fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let mut paths = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap_or_default();
        let mut dir = String::new();
        for name in cell.split(',').map(|n| n.trim().trim_matches('`')) {
            let top = name.split('/').next().unwrap_or_default();
            let path = if dir.is_empty() || name.contains('/') && repo().join(top).exists() {
                name.to_owned()
            } else {
                format!("{dir}{name}")
            };
            if dir.is_empty() {
                dir = path
                    .rfind('/')
                    .map_or(String::new(), |i| path[..=i].to_owned());
            }
            paths.push(path);
        }
    }
    paths
}

/// Whether `path` (which may end in `*`) names something in the repository.
fn exists(path: &str) -> bool {
    match path.strip_suffix('*') {
        Some(prefix) => {
            let (dir, start) = prefix.rsplit_once('/').unwrap_or((".", prefix));
            fs::read_dir(repo().join(dir))
                .map(|entries| {
                    entries
                        .flatten()
                        .any(|e| e.file_name().to_string_lossy().starts_with(start))
                })
                .unwrap_or(false)
        }
        None => repo().join(path).exists(),
    }
}

#[test]
fn the_map_names_only_paths_that_exist() {
    let paths = mapped_paths();
    assert!(
        paths.len() > 30,
        "the map's tables were not found: {paths:?}"
    );
    let missing: Vec<&String> = paths.iter().filter(|p| !exists(p)).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

#[test]
fn every_source_file_is_on_the_map() {
    let paths = mapped_paths();
    let on_map = |file: &str| {
        paths
            .iter()
            .any(|p| p == file || (p.ends_with('/') && file.starts_with(p.as_str())))
    };
    let mut missing: Vec<String> = source_files()
        .into_iter()
        .map(|path| {
            path.strip_prefix(repo())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|file| !on_map(file))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not say where these live: {missing:?}"
    );
}
