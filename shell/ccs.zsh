# ccs hook for zsh. Install with this line in ~/.zshrc:
#     eval "$(ccs init zsh)"
# It makes `ccs use NAME` and `ccs off` switch this shell (and `ccs rename` re-point it), gives
# `ccs_prompt`, and leaves every other command to the binary. Safe under `setopt nounset`, and to
# source more than once.

function ccs {
    emulate -L zsh
    case ${1-} in
        use | off | rename)
            if __ccs_asks_for_help "$@"; then
                command ccs "$@"
                return
            fi
            # Evaluate only what a successful run printed: a failed `use` changes nothing. `rename`
            # prints code only when it renamed the profile this shell is on.
            local __ccs_code
            __ccs_code=$(command ccs "$1" --shell zsh "${@:2}") || return
            eval "$__ccs_code"
            ;;
        *)
            # CCS_HOOK tells `ccs doctor` that the hook is installed here.
            CCS_HOOK=zsh command ccs "$@"
            ;;
    esac
}

__ccs_asks_for_help() {
    emulate -L zsh
    local arg
    for arg in "$@"; do
        case $arg in
            -h | --help) return 0 ;;
            --) return 1 ;;
        esac
    done
    return 1
}

# Appends a function to a zsh hook array (precmd_functions, chpwd_functions) once: what
# add-zsh-hook does, without autoloading it, which searches all of fpath at every shell start.
__ccs_add_hook() {
    emulate -L zsh
    (( ${${(P)1}[(Ie)$2]} )) || set -A "$1" "${(@P)1}" "$2"
}

# Prints the active profile, for a precmd or a status line. In PROMPT itself use
# '${CCS_PROFILE:+($CCS_PROFILE) }' with `setopt prompt_subst`: no process, while $(ccs_prompt) forks.
ccs_prompt() {
    [[ -n ${CCS_PROFILE-} ]] && print -rn -- "$CCS_PROFILE"
    return 0
}

# Opt-in (`ccs init zsh --prompt`): show `(work) ` before the prompt, like a Python venv.
# Re-applied before every prompt because themes rebuild PROMPT; it costs no process. Only a
# valid profile name is shown, so nothing in CCS_PROFILE can act as a prompt escape.
__ccs_prompt_prefix() {
    emulate -L zsh
    local prefix=
    if [[ -n ${CCS_PROFILE-} && $CCS_PROFILE != *[^A-Za-z0-9._-]* ]]; then
        prefix="($CCS_PROFILE) "
    fi
    if [[ -n ${__ccs_prompt_shown-} && $PROMPT == "$__ccs_prompt_shown"* ]]; then
        PROMPT=${PROMPT#"$__ccs_prompt_shown"}
    fi
    typeset -g __ccs_prompt_shown=$prefix
    PROMPT=$prefix$PROMPT
}

__ccs_enable_prompt_prefix() {
    __ccs_add_hook precmd_functions __ccs_prompt_prefix
}

# Tab completion: `compdef` exists only once compinit has run, which many .zshrc files do after
# this hook. Register now if it can, otherwise once at the first prompt (no process either way).
__ccs_install_completion() {
    emulate -L zsh
    if (( ${+functions[compdef]} )); then
        __ccs_register_completion
    else
        __ccs_add_hook precmd_functions __ccs_install_completion_late
    fi
}

# Waits, one cheap check per prompt, until compinit has run (a user may run it by hand or
# defer it), then registers and stops checking.
__ccs_install_completion_late() {
    emulate -L zsh
    (( ${+functions[compdef]} )) || return 0
    precmd_functions=(${precmd_functions:#__ccs_install_completion_late})
    __ccs_register_completion
    return 0
}

# Opt-in (`ccs init zsh --auto`): entering a tree pinned by `ccs pin` (a .ccs-profile file)
# switches to its profile; leaving it restores what was active before. A manual `ccs use` inside
# the tree wins until you leave it. Runs on directory change only (chpwd), with no process unless
# the nearest pin changes, then one `ccs use`. CCS_AUTO_QUIET=1 silences the notes.
__ccs_enable_auto_switch() {
    __ccs_add_hook chpwd_functions __ccs_auto_switch
    __ccs_auto_switch
}

__ccs_auto_switch() {
    emulate -L zsh
    if [[ $PWD != "${__ccs_auto_pwd-}" ]]; then
        typeset -g __ccs_auto_pwd=$PWD
        __ccs_find_pin
        [[ $__ccs_pin_name != "${__ccs_auto_pin-}" ]] && __ccs_apply_pin
    fi
    return 0
}

# Sets __ccs_pin_name and __ccs_pin_file from the nearest .ccs-profile at or above $PWD, with
# shell builtins only. The file is read as data, never evaluated.
__ccs_find_pin() {
    emulate -L zsh
    typeset -g __ccs_pin_name='' __ccs_pin_file=''
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
    emulate -L zsh
    if [[ -z ${__ccs_auto_pin-} ]]; then
        # Entering a pinned tree: remember what to restore on leaving it.
        typeset -g __ccs_saved_set=${CLAUDE_CONFIG_DIR+set}
        typeset -g __ccs_saved_dir=${CLAUDE_CONFIG_DIR-}
        typeset -g __ccs_saved_profile=${CCS_PROFILE-}
    fi
    typeset -g __ccs_auto_pin=$__ccs_pin_name
    if [[ -z $__ccs_pin_name ]]; then
        if [[ -n $__ccs_saved_set ]]; then
            export CLAUDE_CONFIG_DIR=$__ccs_saved_dir
            if [[ -n $__ccs_saved_profile ]]; then export CCS_PROFILE=$__ccs_saved_profile; else unset CCS_PROFILE; fi
        else
            unset CLAUDE_CONFIG_DIR CCS_PROFILE
        fi
        [[ -n ${CCS_AUTO_QUIET-} ]] || print -ru2 -- "ccs: left the pinned tree; back to ${CCS_PROFILE:-${CLAUDE_CONFIG_DIR:-the default ~/.claude}}"
    elif [[ ${#__ccs_pin_name} -le 64 && $__ccs_pin_name == [A-Za-z0-9]* &&
        $__ccs_pin_name != *[^A-Za-z0-9._-]* && $__ccs_pin_name != *..* ]]; then
        # On failure (no such profile) ccs has said why, once: the pin is remembered as seen.
        ccs use "$__ccs_pin_name" &&
            { [[ -n ${CCS_AUTO_QUIET-} ]] || print -ru2 -- "ccs: $__ccs_pin_name (pinned by ${(V)__ccs_pin_file})"; }
    else
        # (V): a cloned directory's name must not send escape sequences to the terminal.
        print -ru2 -- "ccs: ignoring ${(V)__ccs_pin_file}: it does not hold a profile name"
    fi
    return 0
}
