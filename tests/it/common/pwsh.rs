//! Parsing PowerShell with tree-sitter-powershell, for the tests of what ccs prints for a shell
//! that cannot run on the test machines.

use tree_sitter::{Node, Parser, Tree};

pub(crate) fn parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("load the PowerShell grammar");
    parser
}

/// Every node under `node`, itself included, in document order.
pub(crate) fn descendants(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    loop {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

pub(crate) fn text<'s>(node: Node<'_>, src: &'s str) -> &'s str {
    &src[node.byte_range()]
}

/// One line per ERROR or MISSING node: where it is and the source line it is on.
pub(crate) fn syntax_problems(tree: &Tree, src: &str) -> Vec<String> {
    let lines: Vec<&str> = src.split('\n').collect();
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.is_error() || n.is_missing())
        .map(|n| {
            let pos = n.start_position();
            let what = if n.is_missing() {
                format!("MISSING {}", n.kind())
            } else {
                "ERROR".to_owned()
            };
            format!(
                "{what} at line {}, column {}: {:?}",
                pos.row + 1,
                pos.column + 1,
                lines.get(pos.row).copied().unwrap_or("")
            )
        })
        .collect()
}

/// Parses `src` and fails the test, naming the offending lines, if it has any syntax error.
pub(crate) fn parse_clean(parser: &mut Parser, src: &str, what: &str) -> Tree {
    let tree = parser
        .parse(src, None)
        .expect("tree-sitter returned no tree");
    let problems = syntax_problems(&tree, src);
    assert!(
        problems.is_empty() && !tree.root_node().has_error(),
        "{what} does not parse as PowerShell:\n  {}\n--- source ---\n{src}",
        problems.join("\n  ")
    );
    tree
}

/// Fails the test, naming the first offending character, unless `code` is ASCII: PowerShell
/// decodes a native command's output with the console's code page, in which only ASCII is sure
/// to read the same.
pub(crate) fn assert_ascii(code: &str, what: &str) {
    if let Some((at, c)) = code.char_indices().find(|(_, c)| !c.is_ascii()) {
        let line = code[..at].matches('\n').count() + 1;
        panic!(
            "{what} is not ASCII: {c:?} (U+{:04X}) on line {line}\n{code}",
            c as u32
        );
    }
}
