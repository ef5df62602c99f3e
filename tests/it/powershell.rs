//! PowerShell cannot run on every test machine, so what ccs prints for it is checked against a
//! PowerShell grammar (tree-sitter-powershell) instead: the hook and the `use`/`off` code must
//! parse without an ERROR or MISSING node, and every path must come back byte for byte when the
//! value assigned to `$env:CLAUDE_CONFIG_DIR` is decoded by PowerShell's own rules.
//!
//! PowerShell decodes a native command's output with the console's code page, so everything ccs
//! prints for it must be ASCII: a value with other characters is assigned as a parenthesized sum
//! of verbatim strings and `[char]` casts of integers, `('C:\Users\Jos' + [char]0x00E9)`. The
//! decoder below accepts exactly that form besides one verbatim string, and nothing else.
//!
//! The grammar knows only the ASCII `'` as a single quote, while PowerShell also treats U+2018,
//! U+2019, U+201A and U+201B as one. So the decoder below does not trust the grammar's idea of
//! where a string ends: it scans the literal as PowerShell's tokenizer does and fails if the
//! string would end before the literal the grammar found (an undoubled `’` in the middle), or
//! not at all (an undoubled `’` just before the closing quote).

use crate::common;
use crate::common::Sandbox;
use crate::common::pwsh::{assert_ascii, descendants, parse_clean, parser, syntax_problems, text};
use ccs::Shell;
use tree_sitter::{Node, Parser, Tree};

// ---------------------------------------------------------------------------------------------
// Parsing and decoding helpers

/// The statements of the top-level statement list, without empty ones (a lone `;`).
fn top_level_statements<'t>(tree: &'t Tree) -> Vec<Node<'t>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let lists: Vec<Node<'t>> = root
        .named_children(&mut cursor)
        .filter(|n| n.kind() == "statement_list")
        .collect();
    assert!(lists.len() <= 1, "more than one top-level statement list");
    lists
        .first()
        .map(|list| {
            let mut cursor = list.walk();
            list.named_children(&mut cursor)
                .filter(|n| n.kind() != "empty_statement" && n.kind() != "comment")
                .collect()
        })
        .unwrap_or_default()
}

/// Every assignment in the tree as (target text, value node).
fn assignments<'t>(tree: &'t Tree, src: &str) -> Vec<(String, Node<'t>)> {
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "assignment_expression")
        .map(|n| {
            let mut cursor = n.walk();
            let target = n
                .named_children(&mut cursor)
                .find(|c| c.kind() == "left_assignment_expression")
                .expect("assignment without a target");
            let mut cursor = n.walk();
            let values: Vec<Node<'t>> = n.children_by_field_name("value", &mut cursor).collect();
            assert_eq!(values.len(), 1, "assignment with {} values", values.len());
            (text(target, src).to_owned(), values[0])
        })
        .collect()
}

/// PowerShell's single-quote characters: `'` and the typographic U+2018–U+201B.
fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// Decodes a verbatim string literal the way PowerShell's tokenizer does: it opens with any
/// single-quote character; inside, two single-quote characters in a row stand for the second
/// one; a single-quote character not followed by another closes the string. The string must
/// close exactly at the end of `literal`.
fn decode_verbatim(literal: &str) -> Result<String, String> {
    let mut chars = literal.char_indices().peekable();
    match chars.next() {
        Some((_, c)) if is_single_quote(c) => {}
        _ => return Err(format!("{literal:?} does not open with a single quote")),
    }
    let mut out = String::new();
    loop {
        let Some((i, c)) = chars.next() else {
            return Err(format!("{literal:?} never closes: PowerShell reads on"));
        };
        if !is_single_quote(c) {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some(&(_, next)) if is_single_quote(next) => {
                out.push(next);
                chars.next();
            }
            _ => {
                let rest = &literal[i + c.len_utf8()..];
                return if rest.is_empty() {
                    Ok(out)
                } else {
                    Err(format!(
                        "{literal:?} closes early at byte {i} ({c:?}), leaving {rest:?} as code"
                    ))
                };
            }
        }
    }
}

/// Grammar nodes that stand for their one child: precedence levels the value does not use.
const WRAPPERS: &[&str] = &[
    "pipeline",
    "pipeline_chain",
    "logical_expression",
    "bitwise_expression",
    "comparison_expression",
    "additive_expression",
    "multiplicative_expression",
    "format_expression",
    "range_expression",
    "array_literal_expression",
    "unary_expression",
    "expression_with_unary_operator",
];

/// All the children of `node`, anonymous ones (`(`, `+`) and comments included.
fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// `node` without the wrappers that hold only it.
fn unwrapped(mut node: Node<'_>) -> Node<'_> {
    while WRAPPERS.contains(&node.kind()) {
        match children(node).as_slice() {
            [only] => node = *only,
            _ => break,
        }
    }
    node
}

/// The value of an assignment whose right-hand side must be exactly one verbatim string, or one
/// parenthesized `+`-concatenation of verbatim strings and `[char]` casts of integer literals
/// that starts with a string (so that `+` concatenates strings): the form ccs prints a non-ASCII
/// value in. No variable, subexpression, double-quoted string or other operator is accepted.
fn assigned_string(value: Node<'_>, src: &str) -> Result<String, String> {
    let node = unwrapped(value);
    match node.kind() {
        "string_literal" => verbatim_string(node, src),
        "parenthesized_expression" => concatenation(node, src),
        kind => Err(format!(
            "the value {:?} is neither a verbatim string nor a parenthesized concatenation, \
             but {kind}",
            text(value, src)
        )),
    }
}

/// A `string_literal` node that must be a verbatim string, decoded.
fn verbatim_string(literal: Node<'_>, src: &str) -> Result<String, String> {
    let kinds: Vec<&str> = {
        let mut cursor = literal.walk();
        literal
            .named_children(&mut cursor)
            .map(|n| n.kind())
            .collect()
    };
    if kinds != ["verbatim_string_characters"] {
        return Err(format!(
            "{:?} is not a verbatim string but {kinds:?}",
            text(literal, src)
        ));
    }
    decode_verbatim(text(literal, src))
}

/// `('a' + [char]0x00E9 + …)` decoded: the strings' UTF-16 units and the casts' units, joined.
fn concatenation(parens: Node<'_>, src: &str) -> Result<String, String> {
    let what = text(parens, src);
    let sum = match children(parens).as_slice() {
        [open, inner, close] if open.kind() == "(" && close.kind() == ")" => unwrapped(*inner),
        _ => return Err(format!("{what:?} is not one parenthesized expression")),
    };
    // `+` is left-associative: the first term is the deepest.
    let mut terms = Vec::new();
    let mut left = sum;
    while left.kind() == "additive_expression" {
        let [lhs, op, rhs] = children(left)[..] else {
            return Err(format!("{what:?}: {:?} is not a sum", text(left, src)));
        };
        if op.kind() != "+" {
            return Err(format!("{what:?}: {:?} is not a `+`", text(op, src)));
        }
        terms.push(unwrapped(rhs));
        left = unwrapped(lhs);
    }
    terms.push(left);
    terms.reverse();
    if terms.len() < 2 {
        return Err(format!("{what:?} is not a concatenation"));
    }
    let mut units: Vec<u16> = Vec::new();
    for (i, term) in terms.into_iter().enumerate() {
        match term.kind() {
            "string_literal" => units.extend(verbatim_string(term, src)?.encode_utf16()),
            // A cast first would make `+` add numbers, or fail, not concatenate.
            "cast_expression" if i > 0 => units.push(char_code(term, src)?),
            _ => {
                return Err(format!(
                    "{what:?}: term {i}, {:?}, is not {}",
                    text(term, src),
                    if i == 0 {
                        "a verbatim string (the first term must be one)"
                    } else {
                        "a verbatim string or a [char] cast of an integer"
                    }
                ));
            }
        }
    }
    String::from_utf16(&units).map_err(|_| format!("{what:?} holds an unpaired surrogate"))
}

/// The UTF-16 unit of `[char]<integer>`: a hexadecimal (`0xE9`) or decimal (`233`) literal with
/// no sign, suffix or multiplier, below 0x10000.
fn char_code(cast: Node<'_>, src: &str) -> Result<u16, String> {
    let what = text(cast, src);
    let [ty, operand] = children(cast)[..] else {
        return Err(format!("{what:?} is not a cast of one operand"));
    };
    if text(ty, src) != "[char]" {
        return Err(format!("{what:?} is not a [char] cast"));
    }
    let literal = unwrapped(operand);
    if literal.kind() != "integer_literal" {
        return Err(format!("{what:?} does not cast an integer literal"));
    }
    let digits = text(literal, src);
    let code = match digits.strip_prefix("0x") {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()
        }
        None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()
        }
        _ => None,
    };
    code.and_then(|c| u16::try_from(c).ok())
        .ok_or_else(|| format!("{what:?}: {digits:?} is not a UTF-16 unit as a plain integer"))
}

/// Checks that `quoted`, assigned as `$env:X = <quoted>;`, is one statement that gives `$env:X`
/// exactly `value`. Returns the reason when it does not.
fn check_quoting(parser: &mut Parser, value: &str, quoted: &str) -> Result<(), String> {
    let src = format!("$env:X = {quoted};\n");
    let tree = parser
        .parse(&src, None)
        .ok_or("tree-sitter returned no tree")?;
    let problems = syntax_problems(&tree, &src);
    if !problems.is_empty() || tree.root_node().has_error() {
        return Err(format!("syntax errors: {problems:?}"));
    }
    let statements = top_level_statements(&tree).len();
    if statements != 1 {
        return Err(format!("{statements} statements, not 1"));
    }
    let assigned = assignments(&tree, &src);
    let [(target, value_node)] = assigned.as_slice() else {
        return Err(format!("{} assignments, not 1", assigned.len()));
    };
    if target != "$env:X" {
        return Err(format!("assigns {target:?}, not $env:X"));
    }
    let decoded = assigned_string(*value_node, &src)?;
    if decoded != value {
        return Err(format!("decodes to {decoded:?}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The hook

fn hook_file() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/shell/ccs.ps1");
    std::fs::read_to_string(path).unwrap()
}

fn function_names(tree: &Tree, src: &str) -> Vec<String> {
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "function_name")
        .map(|n| text(n, src).to_owned())
        .collect()
}

#[test]
fn hook_file_parses() {
    let src = hook_file();
    assert_ascii(&src, "shell/ccs.ps1");
    let tree = parse_clean(&mut parser(), &src, "shell/ccs.ps1");
    assert_eq!(
        function_names(&tree, &src),
        [
            "global:ccs",
            "global:ccs_prompt",
            "global:__ccs_wrap_prompt",
            "global:prompt",
            "global:__ccs_enable_prompt_prefix",
            "global:__ccs_enable_auto_switch",
            "global:__ccs_auto_switch",
        ]
    );
}

#[test]
fn init_output_is_the_hook_and_parses() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(["init", "powershell"]);
    assert!(out.starts_with(&hook_file()), "the hook file comes first");
    assert!(
        out.ends_with(&sandbox.ok(["completions", "powershell"])),
        "then completion"
    );
    assert_eq!(sandbox.ok(["init", "pwsh"]), out, "the pwsh alias");
    assert_ascii(&out, "ccs init powershell");
    let tree = parse_clean(&mut parser(), &out, "ccs init powershell");
    let names = function_names(&tree, &out);
    assert!(names.contains(&"global:ccs".to_owned()), "{names:?}");
}

#[test]
fn init_prompt_output_parses_and_enables_the_prefix_at_top_level() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(["init", "powershell", "--prompt"]);
    assert!(out.starts_with(&hook_file()), "{out}");
    let tree = parse_clean(&mut parser(), &out, "ccs init powershell --prompt");
    // The call must be a statement of its own at the top, not swallowed by the last function.
    let last = *top_level_statements(&tree).last().unwrap();
    assert_eq!(text(last, &out), "__ccs_enable_prompt_prefix");
    // Likewise the auto-switch opt-in, after the prompt one.
    let auto = sandbox.ok(["init", "powershell", "--prompt", "--auto"]);
    assert_ascii(&auto, "ccs init powershell --prompt --auto");
    let auto_tree = parse_clean(&mut parser(), &auto, "ccs init powershell --prompt --auto");
    let statements = top_level_statements(&auto_tree);
    let tail: Vec<&str> = statements[statements.len() - 2..]
        .iter()
        .map(|n| text(*n, &auto))
        .collect();
    assert_eq!(
        tail,
        ["__ccs_enable_prompt_prefix", "__ccs_enable_auto_switch"]
    );
    let command_names: Vec<&str> = descendants(last)
        .into_iter()
        .filter(|n| n.kind() == "command_name")
        .map(|n| text(n, &out))
        .collect();
    assert_eq!(command_names, ["__ccs_enable_prompt_prefix"]);
}

// ---------------------------------------------------------------------------------------------
// `use` and `off`

#[test]
fn use_prints_two_assignments_for_a_plain_path() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let dir = dir.to_str().unwrap();
    assert!(
        !dir.contains(is_single_quote),
        "the temp path is plain: {dir}"
    );
    let out = sandbox.ok(["use", "work", "--shell", "powershell"]);
    // From a session on no profile: `CCS_PREVIOUS` remembers that, for `ccs use -`.
    assert_eq!(
        out,
        format!(
            "$env:CLAUDE_CONFIG_DIR = '{dir}';\n$env:CCS_PROFILE = 'work';\n$env:CCS_PREVIOUS = '~/.claude';\n"
        )
    );
    let tree = parse_clean(&mut parser(), &out, "ccs use work");
    assert_eq!(top_level_statements(&tree).len(), 3);
    let assigned: Vec<(String, String)> = assignments(&tree, &out)
        .into_iter()
        .map(|(target, value)| (target, assigned_string(value, &out).unwrap()))
        .collect();
    assert_eq!(
        assigned,
        [
            ("$env:CLAUDE_CONFIG_DIR".to_owned(), dir.to_owned()),
            ("$env:CCS_PROFILE".to_owned(), "work".to_owned()),
            ("$env:CCS_PREVIOUS".to_owned(), "~/.claude".to_owned()),
        ]
    );
}

#[test]
fn off_prints_two_null_assignments() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(["off", "--shell", "powershell"]);
    assert_eq!(
        out,
        "$env:CLAUDE_CONFIG_DIR = $null;\n$env:CCS_PROFILE = $null;\n"
    );
    assert_ascii(&out, "ccs off");
    let tree = parse_clean(&mut parser(), &out, "ccs off");
    assert_eq!(top_level_statements(&tree).len(), 2);
    let assigned: Vec<(String, &str)> = assignments(&tree, &out)
        .into_iter()
        .map(|(target, value)| (target, text(value, &out)))
        .collect();
    assert_eq!(
        assigned,
        [
            ("$env:CLAUDE_CONFIG_DIR".to_owned(), "$null"),
            ("$env:CCS_PROFILE".to_owned(), "$null"),
        ]
    );
}

#[test]
fn failed_use_prints_no_code() {
    // The hook evaluates output only on exit code 0; a failure must not print half a switch.
    let sandbox = Sandbox::new();
    let out = sandbox.run(["use", "missing", "--shell", "powershell"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", common::stdout(&out));
}

/// Directory names that break naive PowerShell quoting (or a naive reading of it).
const HOSTILE_NAMES: &[&str] = &[
    "it's",
    "'",
    "''",
    "ends with a quote'",
    "say \"hi\" \"\"",
    "left\u{2018}right\u{2019}",
    "low\u{201A}reversed\u{201B}",
    "ends with a curly\u{2019}",
    "\u{2019}starts curly",
    "mixed '\u{2019}\u{2018}' pairs \u{201B}'",
    "\u{201C}double curly\u{201D} \u{201E}low\u{201D}",
    "back`tick `n `$ `'",
    "$env:X and ${env:HOME}",
    "$(whoami) @(1) $x",
    r"back\slash \\ \n",
    "trailing-backslash\\",
    "new\nline",
    "line\n'@\nafter",
    "@'\nhere-string start",
    "  spaces  ",
    "\u{fc} \u{65e5}\u{672c} \u{1f980}",
    "# hash <# block #>",
    "semi; colon",
    "at@sign @splat",
    "{braces} [brackets] (parens)",
    "amp & pipe | redirect > 2>&1 <",
    "tab\tand\u{a0}nbsp",
    "-dash \u{2013}en \u{2014}em",
    "Jos\u{e9}",
    "\u{65e5}\u{672c}\u{8a9e}",
    "crab \u{1f980} and \u{1f1eb}\u{1f1f7}",
    "\u{2018}\u{2019}\u{201A}\u{201B}",
    "\u{2019}' ''\u{2018}",
    "e\u{301}\u{308} a\u{30a}",
    "' + [char]0x41 + '\u{e9}",
    "\u{e9}')",
];

#[test]
fn use_round_trips_hostile_paths() {
    let mut parser = parser();
    for name in HOSTILE_NAMES {
        let sandbox = Sandbox::with_ccs_home(name);
        let dir = sandbox.create("work");
        assert!(dir.is_dir(), "{dir:?} was not created");
        let dir = dir.to_str().unwrap();
        let out = sandbox.ok(["use", "work", "--shell", "powershell"]);
        let what = format!("ccs use work with CCS_HOME {name:?}");
        assert_ascii(&out, &what);
        let tree = parse_clean(&mut parser, &out, &what);
        // A quote that ended the string early would start a statement of its own. (The third
        // is `CCS_PREVIOUS`, for `ccs use -`.)
        assert_eq!(top_level_statements(&tree).len(), 3, "{what}:\n{out}");
        let assigned = assignments(&tree, &out);
        assert_eq!(assigned.len(), 3, "{what}:\n{out}");
        let (target, value) = &assigned[0];
        assert_eq!(target, "$env:CLAUDE_CONFIG_DIR", "{what}");
        let decoded = assigned_string(*value, &out).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(decoded.as_bytes(), dir.as_bytes(), "{what}:\n{out}");
        let (target, value) = &assigned[1];
        assert_eq!(target, "$env:CCS_PROFILE", "{what}");
        assert_eq!(
            assigned_string(*value, &out).as_deref(),
            Ok("work"),
            "{what}"
        );
    }
}

/// The hook's `ccs rename` re-points a shell on the renamed profile with the same code as `use`:
/// ASCII, and decoding to the new path exactly.
#[test]
fn rename_re_points_to_hostile_paths_in_ascii() {
    let mut parser = parser();
    for name in HOSTILE_NAMES {
        let sandbox = Sandbox::with_ccs_home(name);
        let work = sandbox.create("work");
        let out = sandbox
            .ccs(["rename", "--shell", "powershell", "work", "job"])
            .env("CLAUDE_CONFIG_DIR", &work)
            .output()
            .unwrap();
        let what = format!("ccs rename --shell powershell with CCS_HOME {name:?}");
        assert!(out.status.success(), "{what}: {}", common::stderr(&out));
        let out = common::stdout(&out);
        assert_ascii(&out, &what);
        let tree = parse_clean(&mut parser, &out, &what);
        assert_eq!(top_level_statements(&tree).len(), 2, "{what}:\n{out}");
        let assigned: Vec<(String, Result<String, String>)> = assignments(&tree, &out)
            .into_iter()
            .map(|(target, value)| (target, assigned_string(value, &out)))
            .collect();
        let job = sandbox.instance("job");
        assert_eq!(
            assigned,
            [
                (
                    "$env:CLAUDE_CONFIG_DIR".to_owned(),
                    Ok(job.to_str().unwrap().to_owned())
                ),
                ("$env:CCS_PROFILE".to_owned(), Ok("job".to_owned())),
            ],
            "{what}:\n{out}"
        );
    }
}

/// Nothing of the hook or the completion registration depends on where ccs keeps its files.
#[test]
fn init_output_is_ascii_whatever_the_home() {
    let sandbox = Sandbox::with_ccs_home("Jos\u{e9} \u{65e5}\u{672c} \u{1f980}\u{2019}");
    sandbox.create("work");
    let out = sandbox.ok(["init", "powershell", "--prompt", "--auto"]);
    assert_ascii(&out, "ccs init powershell under a non-ASCII CCS_HOME");
    parse_clean(
        &mut parser(),
        &out,
        "ccs init powershell under a non-ASCII CCS_HOME",
    );
}

/// PowerShell splits a native command's output at CR too, so a CR could not arrive intact:
/// ccs refuses with an error instead of printing code that would set a different path.
#[test]
fn a_path_with_a_carriage_return_is_refused_for_powershell() {
    let sandbox = Sandbox::with_ccs_home("crlf\r\nline");
    sandbox.create("work");
    let out = sandbox.run(["use", "work", "--shell", "powershell"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", common::stdout(&out));
    assert!(
        common::stderr(&out).contains("carriage return"),
        "{}",
        common::stderr(&out)
    );
    // The other shells take it exactly (tests/it/shells.rs round-trips it).
    assert!(
        sandbox
            .run(["use", "work", "--shell", "bash"])
            .status
            .success()
    );
}

// ---------------------------------------------------------------------------------------------
// The quoting function itself

#[test]
fn decoder_follows_powershell_rules() {
    assert_eq!(decode_verbatim("''").as_deref(), Ok(""));
    assert_eq!(decode_verbatim("'it''s'").as_deref(), Ok("it's"));
    assert_eq!(
        decode_verbatim("'a\u{2019}\u{2019}b'").as_deref(),
        Ok("a\u{2019}b")
    );
    // Any two single-quote characters make one: the second is kept.
    assert_eq!(decode_verbatim("'a\u{2019}'b'").as_deref(), Ok("a'b"));
    assert_eq!(decode_verbatim("'$x `n\n'").as_deref(), Ok("$x `n\n"));
    // An undoubled curly quote ends the string early, or swallows the closing quote.
    assert!(decode_verbatim("'a\u{2019}b'").is_err());
    assert!(decode_verbatim("'a\u{2019}'").is_err());
    assert!(decode_verbatim("'a").is_err());
    assert!(decode_verbatim("\"a\"").is_err());
}

/// The oracle must have teeth: quoting that forgets the typographic quotes, or every quote, is
/// caught, both as the property check sees it and where the grammar alone would not notice.
#[test]
fn the_check_rejects_broken_quoting() {
    fn ascii_only(value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }
    fn no_doubling(value: &str) -> String {
        format!("'{value}'")
    }
    let mut parser = parser();
    for value in ["a\u{2019}b", "a\u{2018}", "\u{201A}", "x\u{201B}y'z"] {
        assert!(
            check_quoting(&mut parser, value, &Shell::Powershell.quote(value)).is_ok(),
            "{value:?}"
        );
        assert!(
            check_quoting(&mut parser, value, &ascii_only(value)).is_err(),
            "ASCII-only doubling of {value:?} was not caught"
        );
    }
    for value in ["it's", "'", "a'; whoami; '"] {
        assert!(
            check_quoting(&mut parser, value, &no_doubling(value)).is_err(),
            "missing doubling of {value:?} was not caught"
        );
    }
    // Not a verbatim string: `$` would expand.
    assert!(check_quoting(&mut parser, "$x", "\"$x\"").is_err());
}

/// The concatenation ccs prints for a non-ASCII value, decoded as PowerShell evaluates it, in
/// each spelling PowerShell gives the same string.
#[test]
fn decoder_reads_concatenations_of_strings_and_char_codes() {
    let mut parser = parser();
    for (value, code) in [
        ("a\u{e9}", "('a' + [char]0x00E9)"),
        ("a\u{e9}", "('a' + [char]0xe9)"),
        ("a\u{e9}", "('a' + [char]233)"),
        ("a\u{e9}", "('a'+[char]0x00E9)"),
        ("\u{e9}", "('' + [char]0x00E9)"),
        ("it's\u{e9}", "('it''s' + [char]0x00E9 + '')"),
        ("\u{1f980}", "('' + [char]0xD83E + [char]0xDD80)"),
        ("x\u{2019}y", "('x' + [char]0x2019 + 'y')"),
        ("ab", "('a' + 'b')"),
    ] {
        assert_eq!(check_quoting(&mut parser, value, code), Ok(()), "{code}");
    }
}

/// Anything but a verbatim string or that one form of concatenation is refused, even where
/// PowerShell would give the same string: the decoder accepts only what it fully understands.
#[test]
fn the_check_rejects_other_expressions() {
    let mut parser = parser();
    for code in [
        // Not parenthesized, or not only once.
        "'a' + [char]0x00E9",
        "(('a') + [char]0x00E9)",
        "(('a' + [char]0x00E9))",
        // No `+` at all.
        "('a\u{e9}')",
        // A cast first: `[char] + …` adds numbers or fails, it does not concatenate.
        "([char]0x0061 + [char]0x00E9)",
        "([char]0x0061 + '' + [char]0x00E9)",
        // Other operators, casts and operands.
        "('a' - [char]0x00E9)",
        "('a' * [char]0x00E9)",
        "('a' + [int]0x00E9)",
        "('a' + [string][char]0x00E9)",
        "('a' + [char]-0x00E9)",
        "('a' + [char]0x00E9kb)",
        "('a' + [char]0x00E9L)",
        "('a' + [char]0x100E9)",
        "('a' + [char]$e)",
        "('a' + [char]'\u{e9}')",
        "('a' + [char]($x))",
        "('a' + $e)",
        "('a' + $(\"\u{e9}\"))",
        "('a' + \"\u{e9}\")",
        "('a' + @'\n\u{e9}\n'@)",
        "('a' <# c #> + [char]0x00E9)",
        "('a' + [char]0x00E9; 'b')",
        "('a' + [char]0x00E9 | Out-String)",
        // The wrong character, or half of a surrogate pair.
        "('a' + [char]0x00E8)",
        "('a' + [char]0x00E9 + [char]0x00E9)",
        "('a' + [char]0xD83E)",
        // A string inside that PowerShell ends early at a typographic quote.
        "('a\u{2019}' + [char]0x00E9)",
    ] {
        let value = "a\u{e9}";
        assert!(
            check_quoting(&mut parser, value, code).is_err(),
            "{code} was accepted"
        );
    }
    assert!(check_quoting(&mut parser, "a\u{1f980}", "('a' + [char]0xD83E)").is_err());
}

/// Values no ASCII character can stand for, quoted: ASCII, and decoding to exactly the value.
#[test]
fn non_ascii_values_are_quoted_in_ascii() {
    let mut parser = parser();
    for value in [
        "",
        "\u{e9}",
        "C:\\Users\\Jos\u{e9}\\.ccs\\instances\\work",
        "\u{65e5}\u{672c}",
        "\u{1f980}",
        "a\u{1f980}b\u{10ffff}",
        "\u{2018}",
        "\u{2018}\u{2019}\u{201A}\u{201B}",
        "'\u{2019}''\u{201B}'",
        "e\u{301}",
        "\u{301}\u{308}",
        "\u{feff}\u{a0}\u{85}\u{2028}",
        "\u{e9}\n'@\n\u{e9}",
    ] {
        let quoted = Shell::Powershell.quote(value);
        assert_ascii(&quoted, &format!("the quoting of {value:?}"));
        assert_eq!(
            check_quoting(&mut parser, value, &quoted),
            Ok(()),
            "{quoted}"
        );
    }
    // An ASCII value stays one verbatim string, as ever.
    assert_eq!(Shell::Powershell.quote("C:\\it's"), "'C:\\it''s'");
    assert_eq!(
        Shell::Powershell.quote("C:\\Users\\Jos\u{e9}\\.ccs\\instances\\work"),
        "('C:\\Users\\Jos' + [char]0x00E9 + '\\.ccs\\instances\\work')"
    );
}

/// A tiny deterministic PRNG (xorshift64*), so a failure is reproducible from its seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Characters PowerShell gives a meaning to, somewhere. NUL is left out: no environment
/// variable can hold it.
const HOSTILE_CHARS: &[char] = &[
    '\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}', '"', '\u{201C}', '\u{201D}', '\u{201E}',
    '`', '$', '(', ')', '{', '}', '[', ']', '@', '#', '<', '>', ';', '&', '|', ',', '\\', '/',
    '\n', '\r', '\t', ' ', '\u{a0}', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '-', '\u{2013}',
    '\u{2014}', '\u{2015}', '%', '!', '?', '*', '~', ':', '=', '+', '.',
];

/// Multi-character pieces that mean something to a PowerShell reader.
const HOSTILE_PIECES: &[&str] = &[
    "''",
    "'''",
    "\u{2019}'",
    "'\u{2018}",
    "@'\n",
    "\n'@",
    "@\"\n",
    "\n\"@",
    "<#",
    "#>",
    "$env:X",
    "$(whoami)",
    "${x}",
    "`'",
    "`n",
    "--%",
    "\r\n",
    "';",
    "'+'",
    "' + [char]0x41 + '",
    "('' + ",
    "e\u{301}",
    "\u{e9}",
    "\u{1f980}",
    "\u{65e5}\u{672c}",
];

fn random_string(rng: &mut XorShift) -> String {
    let len = rng.below(24);
    let mut s = String::new();
    for _ in 0..len {
        match rng.below(10) {
            0..=4 => s.push(rng.pick(HOSTILE_CHARS)),
            5 => s.push_str(rng.pick(HOSTILE_PIECES)),
            6 | 7 => s.push(char::from(b'a' + rng.below(26) as u8)),
            _ => {
                // Any Unicode scalar value but NUL, weighted towards the BMP.
                let limit = if rng.below(4) == 0 {
                    0x11_0000
                } else {
                    0x1_0000
                };
                let c = loop {
                    if let Some(c) = char::from_u32(rng.below(limit) as u32).filter(|&c| c != '\0')
                    {
                        break c;
                    }
                };
                s.push(c);
            }
        }
    }
    s
}

#[test]
fn quote_round_trips_random_hostile_strings() {
    const CASES: usize = 5000;
    let seed = std::env::var("CCS_PWSH_SEED")
        .ok()
        .map(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            }
            .expect("CCS_PWSH_SEED is a decimal or 0x-hex u64")
        })
        .unwrap_or(0x9E37_79B9_7F4A_7C15)
        | 1; // xorshift must not start from 0
    let mut rng = XorShift(seed);
    let mut parser = parser();
    let mut non_ascii = 0;
    for case in 0..CASES {
        let value = random_string(&mut rng);
        let quoted = Shell::Powershell.quote(&value);
        non_ascii += usize::from(!value.is_ascii());
        if !quoted.is_ascii() {
            panic!(
                "case {case} of seed {seed:#x} (rerun with CCS_PWSH_SEED={seed:#x}):\n\
                 value  {value:?}\nquoted {quoted:?}\nis not ASCII"
            );
        }
        if let Err(why) = check_quoting(&mut parser, &value, &quoted) {
            panic!(
                "case {case} of seed {seed:#x} (rerun with CCS_PWSH_SEED={seed:#x}):\n\
                 value  {value:?}\nquoted {quoted:?}\n{why}"
            );
        }
    }
    // Most values hold a non-ASCII character, and so take the concatenated form.
    assert!(
        non_ascii > CASES / 2,
        "only {non_ascii} of {CASES} values are non-ASCII"
    );
}
