# ccs hook for fish. Install with this line in ~/.config/fish/config.fish:
#     ccs init fish | source
# It makes `ccs use NAME`, `ccs use -` and `ccs off` switch this shell (and `ccs rename` re-point
# it, `ccs remove` switch it off the profile it removes, `ccs continue` switch it to the profile it
# hands a conversation to, then resume it there), gives `ccs_prompt`, and leaves every other
# command to the binary. Safe to source more than once.

function ccs --description 'Use several Claude Code accounts, one per terminal'
    switch "$argv[1]"
        case use off rename remove rm continue
            # `continue --print` prints a command for the person, not code for the shell.
            if contains -- -h $argv; or contains -- --help $argv
                or begin
                    test "$argv[1]" = continue; and contains -- --print $argv
                end
                command ccs $argv
                return
            end
            # Evaluate only what a successful run printed: a failed `use` changes nothing. `rename`
            # and `remove` print code only when they renamed or removed the profile this shell is
            # on (their report goes to stderr).
            set -l code (command ccs $argv[1] --shell fish $argv[2..-1])
            or return
            printf '%s\n' $code | source
        case '*'
            # CCS_HOOK tells `ccs doctor` that the hook is installed here.
            CCS_HOOK=fish command ccs $argv
    end
end

# Prints the active profile. Functions run inside fish itself: `(ccs_prompt)` in fish_prompt
# starts no process.
function ccs_prompt --description 'Print the active ccs profile'
    set -q CCS_PROFILE[1]; and printf '%s' $CCS_PROFILE
    return 0
end

function __ccs_return --description 'Set $status for the next command'
    return $argv[1]
end

# Opt-in (`ccs init fish --prompt`): show `(work) ` before the prompt, like a Python venv, by
# wrapping the user's fish_prompt once. Only a valid profile name is shown.
function __ccs_enable_prompt_prefix
    functions -q __ccs_user_fish_prompt; and return
    functions -q fish_prompt; and functions -c fish_prompt __ccs_user_fish_prompt
    function fish_prompt
        set -l last_status $status
        if set -q CCS_PROFILE[1]; and string match -qr '^[A-Za-z0-9._-]+$' -- $CCS_PROFILE
            printf '(%s) ' $CCS_PROFILE
        end
        # The user's prompt may show the last command's status: hand it on.
        if functions -q __ccs_user_fish_prompt
            __ccs_return $last_status
            __ccs_user_fish_prompt
        end
    end
end

# Opt-in (`ccs init fish --auto`): entering a tree pinned by `ccs pin` (a .ccs-profile file)
# switches to its profile; leaving it restores what was active before. A manual `ccs use` inside
# the tree wins until you leave it. Runs when PWD changes, with no process unless the nearest pin
# changes, then one `ccs use`. CCS_AUTO_QUIET=1 silences the notes.
function __ccs_enable_auto_switch
    function __ccs_auto_switch --on-variable PWD
        test "$PWD" = "$__ccs_auto_pwd"; and return
        set -g __ccs_auto_pwd $PWD
        __ccs_find_pin
        test "$__ccs_pin_name" != "$__ccs_auto_pin"; and __ccs_apply_pin
        return 0
    end
    __ccs_auto_switch
end

# Sets __ccs_pin_name and __ccs_pin_file from the nearest .ccs-profile at or above $PWD, with
# builtins only. The file is read as data, never evaluated; a CR before its newline (a checkout
# with Windows line ends) is not part of the name.
function __ccs_find_pin
    set -g __ccs_pin_name ''
    set -g __ccs_pin_file ''
    set -l dir $PWD
    while true
        if test -f "$dir/.ccs-profile"
            set __ccs_pin_file "$dir/.ccs-profile"
            read -l name <$__ccs_pin_file
            set name (string replace -r '\r$' '' -- $name)
            test -n "$name"; or set name ' '
            set __ccs_pin_name $name
            return 0
        end
        test -z "$dir"; and return 0
        set dir (string replace -r '/[^/]*$' '' -- $dir)
    end
end

function __ccs_apply_pin
    if test -z "$__ccs_auto_pin"
        # Entering a pinned tree: remember what to restore on leaving it.
        set -g __ccs_saved_set (set -q CLAUDE_CONFIG_DIR; and echo set)
        set -g __ccs_saved_dir "$CLAUDE_CONFIG_DIR"
        set -g __ccs_saved_profile "$CCS_PROFILE"
    end
    set -g __ccs_auto_pin $__ccs_pin_name
    if test -z "$__ccs_pin_name"
        set -l before (set -q CLAUDE_CONFIG_DIR; and echo set):"$CLAUDE_CONFIG_DIR"
        if test -n "$__ccs_saved_set"
            set -gx CLAUDE_CONFIG_DIR $__ccs_saved_dir
            if test -n "$__ccs_saved_profile"
                set -gx CCS_PROFILE $__ccs_saved_profile
            else
                set -e -g CCS_PROFILE
            end
        else
            set -e -g CLAUDE_CONFIG_DIR CCS_PROFILE
        end
        # A shell that carries its profile's name over ssh carries the one it is back on.
        set -q LC_CCS_PROFILE; and set -gx LC_CCS_PROFILE "$CCS_PROFILE"
        # Said only when leaving changes the profile: a pin that never applied changed nothing.
        set -l after (set -q CLAUDE_CONFIG_DIR; and echo set):"$CLAUDE_CONFIG_DIR"
        test "$before" = "$after"; and return 0
        set -l back 'the default ~/.claude'
        set -q CLAUDE_CONFIG_DIR[1]; and set back $CLAUDE_CONFIG_DIR
        set -q CCS_PROFILE[1]; and set back $CCS_PROFILE
        set -q CCS_AUTO_QUIET[1]; and test -n "$CCS_AUTO_QUIET"
        or printf 'ccs: left the pinned tree; back to %s\n' $back >&2
    else if string match -qr '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' -- $__ccs_pin_name; and not string match -q '*..*' -- $__ccs_pin_name
        # ccs says when the profile changes (unless CCS_AUTO_QUIET), and why a pin cannot apply
        # (a profile renamed or removed): that once per shell and pin. The pin is remembered as
        # seen either way.
        set -l key "$__ccs_pin_name:$__ccs_pin_file"
        set -l reported
        contains -- $key $__ccs_pins_reported; and set reported --pin-reported
        set -l code (CCS_AUTO_QUIET=$CCS_AUTO_QUIET command ccs use --shell fish --pinned-by $__ccs_pin_file $reported -- $__ccs_pin_name)
        if test $status -eq 0
            printf '%s\n' $code | source
        else if test -z "$reported"
            set -g -a __ccs_pins_reported $key
        end
    else
        # Escaped: a cloned directory's name must not send escape sequences to the terminal.
        printf 'ccs: ignoring %s: it does not hold a profile name\n' (string escape -- $__ccs_pin_file) >&2
    end
    return 0
end
