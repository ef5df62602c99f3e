# ccs hook for bash. Install with this line in ~/.bashrc:
#     eval "$(ccs init bash)"
# It makes `ccs use NAME` and `ccs off` switch this shell (and `ccs rename` re-point it), gives
# `ccs_prompt`, and leaves every other command to the binary. Safe under `set -u`, and to source
# more than once.

function ccs {
    case ${1-} in
        use | off | rename)
            if __ccs_asks_for_help "$@"; then
                command ccs "$@"
                return
            fi
            # Evaluate only what a successful run printed: a failed `use` changes nothing. `rename`
            # prints code only when it renamed the profile this shell is on.
            local __ccs_code
            __ccs_code=$(command ccs "$1" --shell bash "${@:2}") || return
            eval "$__ccs_code"
            ;;
        *)
            # CCS_HOOK tells `ccs doctor` that the hook is installed here.
            CCS_HOOK=bash command ccs "$@"
            ;;
    esac
}

__ccs_asks_for_help() {
    local arg
    for arg in "$@"; do
        case $arg in
            -h | --help) return 0 ;;
            --) return 1 ;;
        esac
    done
    return 1
}

# Prints the active profile, for PROMPT_COMMAND or a status line. In PS1 itself use
# '${CCS_PROFILE:+($CCS_PROFILE) }': bash expands it with no process, while $(ccs_prompt) forks.
ccs_prompt() {
    [[ -n ${CCS_PROFILE-} ]] && printf '%s' "${CCS_PROFILE}"
    return 0
}

# Opt-in (`ccs init bash --prompt`): show `(work) ` before the prompt, like a Python venv.
# The check runs at every prompt because themes rebuild PS1; it costs no process. PS1 expands
# CCS_PROFILE itself, when the prompt is drawn (so the order of PROMPT_COMMAND entries does not
# matter), with every character a profile name cannot hold shown as `?`: nothing put in
# CCS_PROFILE can send escape sequences to the terminal. The letters are listed, not given as
# ranges: without `globasciiranges` (off before bash 5.0) a range follows the locale's collation.
__ccs_prompt_prefix() {
    local status=$?
    # shellcheck disable=SC2016 # the literal text is wanted: bash expands it at each prompt
    case $PS1 in
        *'${CCS_PROFILE:+('*) ;;
        *) PS1='${CCS_PROFILE:+(${CCS_PROFILE//[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-]/?}) }'$PS1 ;;
    esac
    return "$status"
}

__ccs_enable_prompt_prefix() {
    __ccs_add_prompt_command __ccs_prompt_prefix
}

# Adds a function to what bash runs before each prompt, once. With bash-preexec installed that is
# its precmd_functions: an entry appended to PROMPT_COMMAND after bash-preexec installed itself
# would run after its `__bp_interactive_mode` and stop every preexec function from firing. (One
# added before bash-preexec is kept by it, inside its own PROMPT_COMMAND entry.)
# Otherwise PROMPT_COMMAND, kept an array if the user made it one (bash 5.1+), else appended to
# the string on a line of its own.
__ccs_add_prompt_command() {
    local fn=$1 entry
    # Already there, as a line of any entry (bash-preexec joins the old PROMPT_COMMAND into one
    # multi-line entry): the hook was sourced before. ${a[@]+...} because bash before 4.4 calls
    # an empty array unset under `set -u`; a string is its own element 0.
    for entry in ${precmd_functions[@]+"${precmd_functions[@]}"} \
        ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do
        case $'\n'$entry$'\n' in
            *$'\n'"$fn"$'\n'*) return 0 ;;
        esac
    done
    # bash-preexec installed (or about to install at the next prompt): its entries are there. Only
    # imported is not enough: it stays out when PROMPT_COMMAND is readonly or its install delayed.
    if [[ ${PROMPT_COMMAND[*]-} == *__bp_precmd_invoke_cmd* || ${PROMPT_COMMAND[*]-} == *__bp_install* ]]; then
        precmd_functions+=("$fn")
    # ${var@a} needs bash 4.4 (macOS ships 3.2); arrays here need 5.1, so check the version first.
    elif ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
        [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
        PROMPT_COMMAND+=("$fn")
    else
        # shellcheck disable=SC2128,SC2178 # a string: the array case is handled above
        PROMPT_COMMAND=${PROMPT_COMMAND:+${PROMPT_COMMAND}$'\n'}$fn
    fi
}

# Opt-in (`ccs init bash --auto`): entering a tree pinned by `ccs pin` (a .ccs-profile file)
# switches to its profile; leaving it restores what was active before. A manual `ccs use` inside
# the tree wins until you leave it. Costs no process while the directory stays the same or the
# nearest pin does, and one `ccs use` when the pin changes. CCS_AUTO_QUIET=1 silences the notes.
__ccs_enable_auto_switch() {
    __ccs_add_prompt_command __ccs_auto_switch
    __ccs_auto_switch
}

__ccs_auto_switch() {
    local status=$?
    if [[ $PWD != "${__ccs_auto_pwd-}" ]]; then
        __ccs_auto_pwd=$PWD
        __ccs_find_pin
        [[ $__ccs_pin_name != "${__ccs_auto_pin-}" ]] && __ccs_apply_pin
    fi
    return "$status"
}

# Sets __ccs_pin_name and __ccs_pin_file from the nearest .ccs-profile at or above $PWD, with
# shell builtins only. The file is read as data, never evaluated.
__ccs_find_pin() {
    __ccs_pin_name='' __ccs_pin_file=''
    local dir=$PWD
    while :; do
        if [[ -f $dir/.ccs-profile ]]; then
            __ccs_pin_file=$dir/.ccs-profile
            IFS= read -r __ccs_pin_name <"$__ccs_pin_file" || :
            [[ -n $__ccs_pin_name ]] || __ccs_pin_name=' '
            return 0
        fi
        [[ -z $dir ]] && return 0
        dir=${dir%/*}
    done
}

__ccs_apply_pin() {
    if [[ -z ${__ccs_auto_pin-} ]]; then
        # Entering a pinned tree: remember what to restore on leaving it.
        __ccs_saved_set=${CLAUDE_CONFIG_DIR+set}
        __ccs_saved_dir=${CLAUDE_CONFIG_DIR-}
        __ccs_saved_profile=${CCS_PROFILE-}
    fi
    __ccs_auto_pin=$__ccs_pin_name
    if [[ -z $__ccs_pin_name ]]; then
        if [[ -n $__ccs_saved_set ]]; then
            export CLAUDE_CONFIG_DIR=$__ccs_saved_dir
            if [[ -n $__ccs_saved_profile ]]; then export CCS_PROFILE=$__ccs_saved_profile; else unset CCS_PROFILE; fi
        else
            unset CLAUDE_CONFIG_DIR CCS_PROFILE
        fi
        [[ -n ${CCS_AUTO_QUIET-} ]] || printf 'ccs: left the pinned tree; back to %s\n' "${CCS_PROFILE:-${CLAUDE_CONFIG_DIR:-the default ~/.claude}}" >&2
    elif [[ ${#__ccs_pin_name} -le 64 && $__ccs_pin_name == [A-Za-z0-9]* &&
        $__ccs_pin_name != *[!A-Za-z0-9._-]* && $__ccs_pin_name != *..* ]]; then
        # On failure (no such profile) ccs has said why, once: the pin is remembered as seen.
        ccs use "$__ccs_pin_name" &&
            { [[ -n ${CCS_AUTO_QUIET-} ]] || printf 'ccs: %s (pinned by %q)\n' "$__ccs_pin_name" "$__ccs_pin_file" >&2; }
    else
        # %q: a cloned directory's name must not send escape sequences to the terminal.
        printf 'ccs: ignoring %q: it does not hold a profile name\n' "$__ccs_pin_file" >&2
    fi
    return 0
}
