# ccs hook for zsh, its own part (after ccs.sh, which it shares with bash). Install with this
# line in ~/.zshrc:
#     eval "$(ccs init zsh)"
# Safe under `setopt nounset`, and to source more than once.

# Appends a function to a zsh hook array (precmd_functions, chpwd_functions) once: what
# add-zsh-hook does, without autoloading it, which searches all of fpath at every shell start.
__ccs_add_hook() {
    emulate -L zsh
    (( ${${(P)1}[(Ie)$2]} )) || set -A "$1" "${(@P)1}" "$2"
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

# Switching by pin (see ccs.sh) runs on directory change (chpwd), so a prompt drawn after a `cd`
# shows the profile it switched to.
__ccs_enable_auto_switch() {
    __ccs_auto_on=1
    __ccs_add_hook chpwd_functions __ccs_auto_switch
    __ccs_auto_switch
}
