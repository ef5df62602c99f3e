# Tab completion for ccs: nushell calls this with the words of the line, the last one
# under the cursor; the binary answers from its own definition and its profiles.
def __ccs_complete [spans: list<string>] {
    with-env {CCS_COMPLETE: "nu"} { ^"ccs" -- ...$spans }
    | lines
    | each {|line| let parts = ($line | split row "\t"); {value: $parts.0, description: ($parts.1? | default '')} }
}

# Without the hook (`ccs completions nu`, saved in an autoload directory), ccs is an external
# command; the hook defines its own `ccs`, which names the completer itself.
@complete __ccs_complete
extern "ccs" [...args: string]
