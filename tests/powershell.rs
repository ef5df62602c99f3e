//! PowerShell cannot run on every test machine, so what ccs prints for it is checked against a
//! PowerShell grammar (tree-sitter-powershell) instead: the hook and the `use`/`off` code must
//! parse without an ERROR or MISSING node, and every path must come back byte for byte when the
//! string literal assigned to `$env:CLAUDE_CONFIG_DIR` is decoded by PowerShell's own rules.
//!
//! The grammar knows only the ASCII `'` as a single quote, while PowerShell also treats U+2018,
//! U+2019, U+201A and U+201B as one. So the decoder below does not trust the grammar's idea of
//! where a string ends: it scans the literal as PowerShell's tokenizer does and fails if the
//! string would end before the literal the grammar found (an undoubled `’` in the middle), or
//! not at all (an undoubled `’` just before the closing quote).

mod common;
#[path = "common/pwsh.rs"]
mod pwsh;

use ccs::shell::Shell;
use common::Sandbox;
use pwsh::{descendants, parse_clean, parser, syntax_problems, text};
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

/// The value of an assignment whose right-hand side must be exactly one verbatim string.
fn assigned_string(value: Node<'_>, src: &str) -> Result<String, String> {
    let literals: Vec<Node<'_>> = descendants(value)
        .into_iter()
        .filter(|n| n.kind() == "string_literal")
        .collect();
    let [literal] = literals.as_slice() else {
        return Err(format!(
            "the value {:?} holds {} string literals, not 1",
            text(value, src),
            literals.len()
        ));
    };
    if text(*literal, src) != text(value, src) {
        return Err(format!(
            "the value {:?} is more than its string literal {:?}",
            text(value, src),
            text(*literal, src)
        ));
    }
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
            text(*literal, src)
        ));
    }
    decode_verbatim(text(*literal, src))
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
    assert_eq!(
        out,
        format!("$env:CLAUDE_CONFIG_DIR = '{dir}';\n$env:CCS_PROFILE = 'work';\n")
    );
    let tree = parse_clean(&mut parser(), &out, "ccs use work");
    assert_eq!(top_level_statements(&tree).len(), 2);
    let assigned: Vec<(String, String)> = assignments(&tree, &out)
        .into_iter()
        .map(|(target, value)| (target, assigned_string(value, &out).unwrap()))
        .collect();
    assert_eq!(
        assigned,
        [
            ("$env:CLAUDE_CONFIG_DIR".to_owned(), dir.to_owned()),
            ("$env:CCS_PROFILE".to_owned(), "work".to_owned()),
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
        let tree = parse_clean(&mut parser, &out, &what);
        // A quote that ended the string early would start a statement of its own.
        assert_eq!(top_level_statements(&tree).len(), 2, "{what}:\n{out}");
        let assigned = assignments(&tree, &out);
        assert_eq!(assigned.len(), 2, "{what}:\n{out}");
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
    // The other shells take it exactly (tests/shells.rs round-trips it).
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
    for case in 0..CASES {
        let value = random_string(&mut rng);
        let quoted = Shell::Powershell.quote(&value);
        if let Err(why) = check_quoting(&mut parser, &value, &quoted) {
            panic!(
                "case {case} of seed {seed:#x} (rerun with CCS_PWSH_SEED={seed:#x}):\n\
                 value  {value:?}\nquoted {quoted:?}\n{why}"
            );
        }
    }
}
