# ccs hook for zsh. Install with this line in ~/.zshrc:
#     eval "$(ccs init zsh)"
# It makes `ccs use NAME` and `ccs off` switch this shell, gives `ccs_prompt`, and leaves every
# other command to the binary. Safe under `setopt nounset`, and to source more than once.

ccs() {
    emulate -L zsh
    case ${1-} in
        use | off)
            if __ccs_asks_for_help "$@"; then
                command ccs "$@"
                return
            fi
            # Evaluate only what a successful run printed: a failed `use` changes nothing.
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
    autoload -Uz add-zsh-hook
    add-zsh-hook precmd __ccs_prompt_prefix
}

# Tab completion: `compdef` exists only once compinit has run, which many .zshrc files do after
# this hook. Register now if it can, otherwise once at the first prompt (no process either way).
__ccs_install_completion() {
    if (( $+functions[compdef] )); then
        __ccs_register_completion
    else
        autoload -Uz add-zsh-hook
        add-zsh-hook precmd __ccs_install_completion_late
    fi
}

__ccs_install_completion_late() {
    add-zsh-hook -d precmd __ccs_install_completion_late
    (( $+functions[compdef] )) && __ccs_register_completion
    return 0
}
