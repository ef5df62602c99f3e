# ccs hook for nushell. Install with these two lines in config.nu (nushell loads the file at
# every start, after config.nu):
#     mkdir ($nu.user-autoload-dirs | first)
#     ccs init nu | save -f ($nu.user-autoload-dirs | first | path join ccs.nu)
# It makes `ccs use NAME`, `ccs use -` and `ccs off` switch this shell (and `ccs rename` re-point
# it, `ccs remove` switch it off the profile it removes, `ccs continue` switch it to the profile it
# hands a conversation to, then resume it there), gives `ccs_prompt`, and leaves every other
# command to the binary. nushell cannot evaluate printed code: with `--shell nu` the binary
# prints a record (see src/shell/nu.rs), which `__ccs_apply` loads. Safe to load more than once.

@complete __ccs_complete
def --env --wrapped ccs [...args: string] {
    let command = ($args | get -o 0 | default '')
    # `continue --print` prints a command for the person, not a switch for the shell.
    let prints_only = $command == 'continue' and ('--print' in $args)
    if $command in [use off rename remove rm continue] and not (__ccs_asks_for_help $args) and not $prints_only {
        # A `cd` typed earlier on the same line (`cd ~/pinned; ccs use work`) is seen by the
        # auto-switch only before the next prompt: apply its pin first, quietly, so that this
        # command wins over it and says where the shell ends.
        let pre_switched = ($env.__ccs_auto_on? | default false) and $env.PWD != $env.__ccs_auto_pwd?
        if $pre_switched {
            __ccs_auto_switch --quietly
        }
        # Apply only what a successful run printed: a failed `use` changes nothing (its status
        # ends the command here). `rename` and `remove` print a switch only when they renamed or
        # removed the profile this shell is on (their report goes to stderr).
        let record = (^ccs $command --shell nu ...($args | skip 1))
        if ($record | str trim | is-not-empty) {
            let switch = ($record | from nuon)
            __ccs_apply $switch --by-null=$pre_switched
            # `continue` names the command that resumes the conversation where it switched to.
            if 'run' in $switch {
                ^($switch.run | first) ...($switch.run | skip 1)
            }
        }
    } else {
        # CCS_HOOK tells `ccs doctor` that the hook is installed here.
        with-env {CCS_HOOK: nu} { ^ccs ...$args }
    }
}

def __ccs_asks_for_help [args: list<string>] {
    for arg in $args {
        if $arg == '--' { return false }
        if $arg in [-h --help] { return true }
    }
    false
}

# Applies a switch the binary printed: `{set: {NAME: value}, unset: [NAME], tmux: [word]}`.
# Inside tmux, the session gets the profile too, quietly: the switch has happened whatever
# tmux does.
# --by-null: nushell 0.115 loses a `hide-env` in a command that called another `def --env`
# before (nushell#13195); there an unset variable is set to nothing instead, which no program
# started from the shell receives.
def --env __ccs_apply [switch: record, --by-null] {
    if $by_null {
        load-env ($switch.unset | each {|name| {$name: null} } | into record)
    } else {
        hide-env --ignore-errors ...$switch.unset
    }
    load-env $switch.set
    if ($switch.tmux? | default [] | is-not-empty) and (which -a tmux | where type == external | is-not-empty) {
        try { ^tmux ...$switch.tmux o+e>| ignore }
    }
}

# Prints the active profile. A command defined in nushell runs inside it: in PROMPT_COMMAND it
# starts no process.
def ccs_prompt [] {
    $env.CCS_PROFILE? | default ''
}

# Opt-in (`ccs init nu --prompt`): show `(work) ` before the prompt, like a Python venv, by
# wrapping PROMPT_COMMAND (a closure or a string). Only a valid profile name is shown.
def --env __ccs_enable_prompt_prefix [] {
    if ($env.__ccs_prefix_on? | default false) { return }
    $env.__ccs_prefix_on = true
    $env.config.hooks.pre_prompt = (
        $env.config.hooks.pre_prompt? | default [] | append {|| __ccs_wrap_prompt }
    )
    __ccs_wrap_prompt
}

# Wraps the prompt, and wraps it again whenever something replaced it since (a prompt set later
# in config.nu, another tool's autoload file such as starship's): checked before each prompt,
# inside nushell, with no process.
def --env __ccs_wrap_prompt [] {
    if '__ccs_prompt' in $env and $env.PROMPT_COMMAND? == $env.__ccs_prompt { return }
    $env.__ccs_user_prompt = ($env.PROMPT_COMMAND? | default '')
    $env.__ccs_prompt = {||
        let profile = ($env.CCS_PROFILE? | default '')
        let prefix = if ($profile =~ '^[A-Za-z0-9._-]+$') { $"\(($profile)\) " } else { '' }
        let user = $env.__ccs_user_prompt
        let rest = if ($user | describe) == 'closure' { do $user } else { $user }
        $prefix + ($rest | default '' | into string)
    }
    $env.PROMPT_COMMAND = $env.__ccs_prompt
}

# Opt-in (`ccs init nu --auto`): entering a tree pinned by `ccs pin` (a .ccs-profile file)
# switches to its profile; leaving it restores what was active before. A manual `ccs use` inside
# the tree wins until you leave it. Runs when PWD changes (an env_change hook), with no process
# unless the nearest pin changes, then one `ccs use`. CCS_AUTO_QUIET=1 silences the notes.
def --env __ccs_enable_auto_switch [] {
    if ($env.__ccs_auto_on? | default false) { return }
    $env.__ccs_auto_on = true
    $env.config.hooks.env_change.PWD = (
        $env.config.hooks.env_change.PWD? | default [] | append {|_, _| __ccs_auto_switch }
    )
    __ccs_auto_switch
}

def --env __ccs_auto_switch [--quietly] {
    if $env.PWD == ($env.__ccs_auto_pwd? | default '') { return }
    $env.__ccs_auto_pwd = $env.PWD
    let pin = (__ccs_find_pin $env.PWD)
    if $pin.name != ($env.__ccs_auto_pin? | default '') {
        __ccs_apply_pin $pin $quietly
    }
}

# The nearest .ccs-profile at or above `dir`, with builtins only: `{name, file}`, both empty
# when there is none. The file is read as data, never evaluated; a CR before its newline (a
# checkout with Windows line ends) is not part of the name, and an empty first line is ' '.
def __ccs_find_pin [dir: string] {
    mut dir = $dir
    loop {
        let file = ($dir | path join .ccs-profile)
        if ($file | path type) == 'file' {
            let first = (try { open --raw $file | decode utf-8 } catch { '' } | split row "\n" | first)
            let name = ($first | str replace -r '\r$' '')
            return {name: (if ($name | is-empty) { ' ' } else { $name }), file: $file}
        }
        let parent = ($dir | path dirname)
        if $parent == $dir { return {name: '', file: ''} }
        $dir = $parent
    }
}

def --env __ccs_apply_pin [pin: record, quietly: bool] {
    if ($env.__ccs_auto_pin? | default '' | is-empty) {
        # Entering a pinned tree: remember what to restore on leaving it.
        $env.__ccs_saved_set = ('CLAUDE_CONFIG_DIR' in $env)
        $env.__ccs_saved_dir = ($env.CLAUDE_CONFIG_DIR? | default '')
        $env.__ccs_saved_profile = ($env.CCS_PROFILE? | default '')
    }
    $env.__ccs_auto_pin = $pin.name
    let quiet = ($env.CCS_AUTO_QUIET? | default '' | is-not-empty)
    if ($pin.name | is-empty) {
        let before = ($env.CLAUDE_CONFIG_DIR? | to nuon)
        if $env.__ccs_saved_set {
            $env.CLAUDE_CONFIG_DIR = $env.__ccs_saved_dir
            if ($env.__ccs_saved_profile | is-empty) {
                hide-env --ignore-errors CCS_PROFILE
            } else {
                $env.CCS_PROFILE = $env.__ccs_saved_profile
            }
        } else {
            hide-env --ignore-errors CLAUDE_CONFIG_DIR CCS_PROFILE
        }
        # A shell that carries its profile's name over ssh carries the one it is back on.
        if 'LC_CCS_PROFILE' in $env { $env.LC_CCS_PROFILE = ($env.CCS_PROFILE? | default '') }
        # Said only when leaving changes the profile: a pin that never applied changed nothing.
        if $quiet or $before == ($env.CLAUDE_CONFIG_DIR? | to nuon) { return }
        let back = ([$env.CCS_PROFILE? $env.CLAUDE_CONFIG_DIR? 'the default ~/.claude']
            | where {|v| $v | is-not-empty } | first)
        print -e $"ccs: left the pinned tree; back to ($back)"
    } else if ($pin.name =~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$') and not ($pin.name | str contains '..') {
        # ccs says when the profile changes (unless CCS_AUTO_QUIET), and why a pin cannot apply
        # (a profile renamed or removed): that once per shell and pin, and not while a `ccs use`
        # typed on the same line is about to decide (--quietly). The pin is remembered as seen
        # either way.
        let key = $"($pin.name):($pin.file)"
        let reported = $quietly or ($key in ($env.__ccs_pins_reported? | default []))
        let flags = if $reported { [--pin-reported] } else { [] }
        let auto_quiet = if $quietly { '1' } else { $env.CCS_AUTO_QUIET? | default '' }
        let record = try {
            with-env {CCS_AUTO_QUIET: $auto_quiet} {
                ^ccs use --shell nu --pinned-by $pin.file ...$flags -- $pin.name
            }
        } catch { null }
        if $record != null {
            if ($record | str trim | is-not-empty) { __ccs_apply ($record | from nuon) }
        } else if not $reported {
            $env.__ccs_pins_reported = ($env.__ccs_pins_reported? | default [] | append $key)
        }
    } else {
        # Escaped: a cloned directory's name must not send escape sequences to the terminal.
        print -e $"ccs: ignoring ($pin.file | to nuon): it does not hold a profile name"
    }
}
